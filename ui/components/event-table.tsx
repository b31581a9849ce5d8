import { previewData, formatTime } from '../format.js';
import { routeHref } from '../route.js';
import type { StoredEvent } from '../../client/index.js';

/**
 * Events as rows: seq, type, key, recorded, a preview of the data; each opens the event's JSON.
 * With `showStream`, the stream too (a followed pattern mixes streams).
 */
export function EventTable({ events, mark, showStream = false }: { events: readonly StoredEvent[]; mark?: number; showStream?: boolean }) {
  if (events.length === 0) return <p class="notice">No events.</p>;
  return (
    <table class="events">
      <thead>
        <tr>
          {showStream ? <th>Stream</th> : null}
          <th>Seq</th>
          <th>Type</th>
          <th>Key</th>
          <th>Recorded</th>
          <th>Data</th>
        </tr>
      </thead>
      <tbody>
        {events.map((event) => (
          <tr key={event.id} class={event.seq === mark ? 'marked' : undefined} data-seq={event.seq}>
            {showStream ? <td>{event.stream}</td> : null}
            <td class="number">
              <a href={routeHref({ screen: 'event', stream: event.stream, seq: event.seq })}>{event.seq}</a>
            </td>
            <td>{event.type}</td>
            <td>{event.key ?? ''}</td>
            <td class="time">{formatTime(event.recorded)}</td>
            <td class="data">{previewData(event.data)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
