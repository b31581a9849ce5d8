import { useState } from 'preact/hooks';
import type { StreamSummary } from '../../client/index.js';
import { apiGet } from '../http-api.js';
import { formatAge, formatTime } from '../format.js';
import { LoadView } from '../components/load-view.js';
import { navigate, NEWEST_PAGE, routeHref } from '../route.js';
import { useLoad } from '../use-load.js';

/** Streams a page of the list shows. */
const STREAMS_PER_PAGE = 50;

interface StreamList {
  readonly streams: StreamSummary[];
  readonly next: string | null;
}

/** The streams (by name, optionally under a prefix), their counts and last activity, a page at a time. */
export function StreamsScreen({ prefix }: { prefix: string }) {
  const [after, setAfter] = useState<string[]>([]);
  const [prefixText, setPrefixText] = useState(prefix);
  const position = after.at(-1) ?? '';
  const query = new URLSearchParams({ limit: String(STREAMS_PER_PAGE), ...(prefix === '' ? {} : { prefix }), ...(position === '' ? {} : { after: position }) });
  const loaded = useLoad(() => apiGet<StreamList>(`/streams?${query.toString()}`), query.toString());
  return (
    <section>
      <h2>Streams</h2>
      <form
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          setAfter([]);
          navigate({ screen: 'streams', prefix: prefixText.trim() });
        }}
      >
        <label>
          Prefix <input name="prefix" value={prefixText} onInput={(event) => setPrefixText(event.currentTarget.value)} placeholder="orders." />
        </label>
        <button type="submit">List</button>
      </form>
      <LoadView loaded={loaded}>
        {({ streams, next }) => (
          <>
            {streams.length === 0 ? (
              <p class="notice">No streams{prefix === '' ? '' : ` starting with "${prefix}"`}.</p>
            ) : (
              <table class="streams">
                <thead>
                  <tr>
                    <th>Stream</th>
                    <th>Events</th>
                    <th>Head seq</th>
                    <th>Last activity</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {streams.map((summary) => (
                    <tr key={summary.stream} data-stream={summary.stream}>
                      <td>
                        <a href={routeHref({ screen: 'stream', stream: summary.stream, ...NEWEST_PAGE })}>{summary.stream}</a>
                      </td>
                      <td class="number">{summary.count}</td>
                      <td class="number">{summary.head}</td>
                      <td class="time" title={formatTime(summary.lastRecorded)}>
                        {formatTime(summary.lastRecorded)} ({formatAge(summary.lastRecorded)})
                      </td>
                      <td class="actions">
                        <a href={routeHref({ screen: 'surface', stream: summary.stream })}>surface</a>{' '}
                        <a href={routeHref({ screen: 'follow', selector: summary.stream })}>follow</a>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            <div class="pager">
              <button type="button" disabled={after.length === 0} onClick={() => setAfter(after.slice(0, -1))}>
                ← Previous
              </button>
              <button type="button" disabled={next === null} onClick={() => next !== null && setAfter([...after, next])}>
                Next →
              </button>
            </div>
          </>
        )}
      </LoadView>
    </section>
  );
}
