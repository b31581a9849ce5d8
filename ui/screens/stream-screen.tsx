import { useState } from 'preact/hooks';
import type { StoredEvent } from '../../client/index.js';
import { apiGet, segment } from '../http-api.js';
import { EventTable } from '../components/event-table.js';
import { ErrorNote, LoadView } from '../components/load-view.js';
import { splitList } from '../format.js';
import { navigate, NEWEST_PAGE, routeHref, type PageQuery } from '../route.js';
import { useLoad } from '../use-load.js';

/** Events a page of a stream shows. */
const EVENTS_PER_PAGE = 25;

interface Page {
  readonly events: StoredEvent[];
  readonly next: unknown;
}

/** What a jump goes to: a seq, an event id, or a time. */
type JumpKind = 'seq' | 'event' | 'time';

/**
 * A stream's events, a page at a time, oldest first on the screen: first, older, newer and last
 * pages, filters by type and key, and jumps to a seq, an event id or a time.
 */
export function StreamScreen({ stream, query }: { stream: string; query: PageQuery }) {
  const path = eventsPath(stream, query);
  const loaded = useLoad(() => apiGet<Page>(path), path);
  const go = (page: Partial<PageQuery>) => navigate({ screen: 'stream', stream, ...query, mark: undefined, ...page });
  return (
    <section>
      <h2>
        Stream <span class="name">{stream}</span>
      </h2>
      <p class="links">
        <a href={routeHref({ screen: 'surface', stream })}>Surface</a> · <a href={routeHref({ screen: 'follow', selector: stream })}>Follow live</a>
      </p>
      <FilterForm query={query} onApply={(types, keys) => go({ ...NEWEST_PAGE, types, keys })} />
      <JumpForm stream={stream} onJump={(seq) => go({ from: String(seq), direction: 'forward', mark: seq })} />
      <LoadView loaded={loaded}>
        {({ events, next }) => {
          const shown = [...events].sort((a, b) => a.seq - b.seq);
          const oldest = shown[0]?.seq;
          const newest = shown.at(-1)?.seq;
          // A page that reached its end in its direction has nothing further that way.
          const olderEnd = query.from === 'start' || (query.direction === 'backward' && next === null);
          const newerEnd = query.from === 'end' || (query.direction === 'forward' && next === null);
          return (
            <>
              <Pager
                first={() => go({ from: 'start', direction: 'forward' })}
                older={oldest === undefined || olderEnd || oldest <= 1 ? undefined : () => go({ from: `before:${oldest}`, direction: 'backward' })}
                newer={newest === undefined || newerEnd ? undefined : () => go({ from: `after:${newest}`, direction: 'forward' })}
                last={() => go({ from: 'end', direction: 'backward' })}
              />
              <p class="summary">
                {shown.length === 0 ? 'No events here.' : `Events ${oldest} to ${newest}`}
                {query.types === '' && query.keys === '' ? '' : ' (filtered)'}
              </p>
              <EventTable events={shown} mark={query.mark} />
            </>
          );
        }}
      </LoadView>
    </section>
  );
}

/** The HTTP API path of a page. */
function eventsPath(stream: string, query: PageQuery): string {
  const params = new URLSearchParams({ from: query.from, direction: query.direction, limit: String(EVENTS_PER_PAGE) });
  const types = splitList(query.types);
  const keys = splitList(query.keys);
  if (types.length > 0) params.set('types', types.join(','));
  if (keys.length > 0) params.set('keys', keys.join(','));
  return `/streams/${segment(stream)}/events?${params.toString()}`;
}

function Pager({ first, older, newer, last }: { first: () => void; older?: () => void; newer?: () => void; last: () => void }) {
  return (
    <div class="pager">
      <button type="button" onClick={first}>
        ⇤ First
      </button>
      <button type="button" disabled={older === undefined} onClick={older}>
        ← Older
      </button>
      <button type="button" disabled={newer === undefined} onClick={newer}>
        Newer →
      </button>
      <button type="button" onClick={last}>
        Last ⇥
      </button>
    </div>
  );
}

function FilterForm({ query, onApply }: { query: PageQuery; onApply: (types: string, keys: string) => void }) {
  const [types, setTypes] = useState(query.types);
  const [keys, setKeys] = useState(query.keys);
  return (
    <form
      class="toolbar"
      aria-label="Filter"
      onSubmit={(event) => {
        event.preventDefault();
        onApply(splitList(types).join(','), splitList(keys).join(','));
      }}
    >
      <label>
        Types <input name="types" value={types} onInput={(event) => setTypes(event.currentTarget.value)} placeholder="order-placed, order-paid" />
      </label>
      <label>
        Keys <input name="keys" value={keys} onInput={(event) => setKeys(event.currentTarget.value)} placeholder="o-1, o-2" />
      </label>
      <button type="submit">Filter</button>
    </form>
  );
}

/**
 * Jumps to a seq, an event id or a time. An id is found by reading on from it: the page that
 * follows starts right after it, and seqs of a stream are dense.
 */
function JumpForm({ stream, onJump }: { stream: string; onJump: (seq: number) => void }) {
  const [kind, setKind] = useState<JumpKind>('seq');
  const [target, setTarget] = useState('');
  const [error, setError] = useState<Error | undefined>(undefined);
  const jump = async () => {
    setError(undefined);
    try {
      onJump(await seqOf(stream, kind, target.trim()));
    } catch (caught) {
      setError(caught instanceof Error ? caught : new Error(String(caught)));
    }
  };
  return (
    <form
      class="toolbar"
      aria-label="Jump"
      onSubmit={(event) => {
        event.preventDefault();
        void jump();
      }}
    >
      <label>
        Jump to{' '}
        <select name="jump-kind" value={kind} onChange={(event) => setKind(event.currentTarget.value as JumpKind)}>
          <option value="seq">seq</option>
          <option value="event">event id</option>
          <option value="time">time</option>
        </select>
      </label>
      <input name="jump-target" value={target} onInput={(event) => setTarget(event.currentTarget.value)} placeholder={PLACEHOLDERS[kind]} />
      <button type="submit">Go</button>
      {error === undefined ? null : <ErrorNote error={error} />}
    </form>
  );
}

const PLACEHOLDERS: Record<JumpKind, string> = {
  seq: '42',
  event: 'an event id',
  time: '2026-12-08T10:00:00Z',
};

/** The seq a jump goes to. */
async function seqOf(stream: string, kind: JumpKind, target: string): Promise<number> {
  if (kind === 'seq') {
    const seq = Number(target);
    if (!/^\d+$/.test(target) || !Number.isSafeInteger(seq) || seq < 1) throw new Error('a seq is a whole number from 1');
    return seq;
  }
  if (kind === 'time') {
    const time = Date.parse(target);
    if (Number.isNaN(time)) throw new Error('not a time: write it as 2026-12-08T10:00:00Z');
    const page = await apiGet<Page>(`/streams/${segment(stream)}/events?from=time:${time}&limit=1`);
    const first = page.events[0];
    if (first === undefined) throw new Error(`no event of ${stream} was recorded at or after ${new Date(time).toISOString()}`);
    return first.seq;
  }
  if (target === '') throw new Error('give an event id');
  const after = await apiGet<Page>(`/streams/${segment(stream)}/events?from=event:${encodeURIComponent(target)}&limit=1`);
  const following = after.events[0];
  if (following !== undefined) return following.seq - 1;
  // Nothing follows it: it is the stream's last event.
  const last = await apiGet<Page>(`/streams/${segment(stream)}/events?from=end&direction=backward&limit=1`);
  if (last.events[0] === undefined) throw new Error(`${stream} has no events`);
  return last.events[0].seq;
}
