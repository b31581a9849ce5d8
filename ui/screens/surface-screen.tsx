import type { StoredEvent } from '../../client/index.js';
import { apiGet, segment } from '../http-api.js';
import { formatTime, previewData } from '../format.js';
import { LoadView } from '../components/load-view.js';
import { routeHref, NEWEST_PAGE } from '../route.js';
import { useLoad } from '../use-load.js';

/** A stream's surface: the newest event of each key, in key order. */
export function SurfaceScreen({ stream }: { stream: string }) {
  const path = `/streams/${segment(stream)}/surface`;
  const loaded = useLoad(() => apiGet<{ events: StoredEvent[] }>(path), path);
  return (
    <section>
      <h2>
        Surface of <span class="name">{stream}</span>
      </h2>
      <p class="links">
        The newest event of each key. <a href={routeHref({ screen: 'stream', stream, ...NEWEST_PAGE })}>All events</a>
      </p>
      <LoadView loaded={loaded}>
        {({ events }) =>
          events.length === 0 ? (
            <p class="notice">No keyed events.</p>
          ) : (
            <table class="surface">
              <thead>
                <tr>
                  <th>Key</th>
                  <th>Type</th>
                  <th>Seq</th>
                  <th>Recorded</th>
                  <th>Data</th>
                </tr>
              </thead>
              <tbody>
                {byKey(events).map((event) => (
                  <tr key={event.id} data-key={event.key}>
                    <td>{event.key ?? ''}</td>
                    <td>{event.type}</td>
                    <td class="number">
                      <a href={routeHref({ screen: 'event', stream: event.stream, seq: event.seq })}>{event.seq}</a>
                    </td>
                    <td class="time">{formatTime(event.recorded)}</td>
                    <td class="data">{previewData(event.data)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </LoadView>
    </section>
  );
}

/** The events in the order of their keys, as a person looks one up. */
function byKey(events: readonly StoredEvent[]): StoredEvent[] {
  return [...events].sort((a, b) => ((a.key ?? '') < (b.key ?? '') ? -1 : (a.key ?? '') > (b.key ?? '') ? 1 : 0));
}
