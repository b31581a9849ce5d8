import type { StoredEvent } from '../../client/index.js';
import { apiGet, segment } from '../http-api.js';
import { LoadView } from '../components/load-view.js';
import { prettyJson } from '../format.js';
import { routeHref } from '../route.js';
import { useLoad } from '../use-load.js';

/** One event's full JSON, as the HTTP API gives it, with links to its neighbours. */
export function EventScreen({ stream, seq }: { stream: string; seq: number }) {
  const path = `/streams/${segment(stream)}/events?from=${seq}&limit=1`;
  const loaded = useLoad(async () => {
    const page = await apiGet<{ events: StoredEvent[] }>(path);
    const event = page.events[0];
    if (event === undefined || event.seq !== seq) throw new Error(`${stream} has no event ${seq}`);
    return event;
  }, path);
  return (
    <section>
      <h2>
        Event <span class="name">{stream}</span> #{seq}
      </h2>
      <p class="links">
        {seq > 1 ? <a href={routeHref({ screen: 'event', stream, seq: seq - 1 })}>← Previous</a> : null}{' '}
        <a href={routeHref({ screen: 'event', stream, seq: seq + 1 })}>Next →</a> ·{' '}
        <a href={routeHref({ screen: 'stream', stream, from: String(seq), direction: 'forward', types: '', keys: '', mark: seq })}>In its stream</a>
      </p>
      <LoadView loaded={loaded}>{(event) => <pre class="json">{prettyJson(event)}</pre>}</LoadView>
    </section>
  );
}
