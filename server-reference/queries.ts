import { TauonError } from '../protocol/errors.js';
import type {
  PageFrame,
  ReadFrame,
  ServerInfoFrame,
  ServerLimits,
  StoredEvent,
  StreamListFrame,
  StreamsFrame,
  SurfaceFrame,
} from '../protocol/frames.js';
import { SUPPORTED_VERSIONS, PROTOCOL_VERSION } from '../protocol/version.js';
import { compileFilter } from './event-filter.js';
import { positionIn, readSelected, parseSelector } from './selector.js';
import { TurnBudget } from './short-turns.js';
import { resolveBackwardStart, resolveForwardCursor } from './start-position.js';
import type { EventStore } from './stores/event-store.js';

/** Default number of events a `read` returns, and of streams a `streams` lists. */
export const DEFAULT_PAGE_LIMIT = 100;
/** A filtered read looks at most this many store pages to fill one page. */
const MAX_FILTERED_PAGES = 10;

/** Answers `read`: one page of events in either direction, with where the next page starts. */
export async function readPage(store: EventStore, limits: ServerLimits, frame: ReadFrame): Promise<PageFrame> {
  const selector = parseSelector(frame.stream);
  const direction = frame.direction ?? 'forward';
  const limit = Math.min(frame.limit ?? DEFAULT_PAGE_LIMIT, limits.maxReadLimit);
  const predicate = compileFilter(frame.filter);
  const events: StoredEvent[] = [];
  // `cursor` is the last position examined; a page ends full, or exhausted at an end of the log.
  let cursor: number;
  let from: number;
  if (direction === 'forward') {
    cursor = await resolveForwardCursor(store, selector, frame.from ?? 'start');
    from = cursor + 1;
  } else {
    from = await resolveBackwardStart(store, selector, frame.from ?? 'end');
    cursor = from + 1;
  }
  let exhausted = from < 1;
  // The store reads its pages in short turns; between them the read lets others in as well.
  const turns = new TurnBudget();
  for (let pages = 0; pages < MAX_FILTERED_PAGES && !exhausted && events.length < limit; pages += 1) {
    await turns.yieldIfSpent();
    const batch = await readSelected(store, selector, from, direction, limit);
    let examined = 0;
    for (const event of batch) {
      if (events.length === limit) break;
      cursor = positionIn(selector, event);
      examined += 1;
      if (predicate === undefined || predicate(event)) events.push(event);
    }
    exhausted = batch.length < limit && examined === batch.length;
    from = direction === 'forward' ? cursor + 1 : cursor - 1;
    if (from < 1) exhausted = true;
  }
  const next: PageFrame['next'] = exhausted ? null : direction === 'forward' ? { after: cursor } : { before: cursor };
  return { type: 'page', id: frame.id, events, next };
}

/** Answers `surface`: the newest event of each key of a stream. */
export async function surfacePage(store: EventStore, frame: SurfaceFrame): Promise<PageFrame> {
  return { type: 'page', id: frame.id, events: await store.surface(frame.stream), next: null };
}

/** Answers `streams`: one page of stream summaries in name order. */
export async function streamList(store: EventStore, limits: ServerLimits, frame: StreamsFrame): Promise<StreamListFrame> {
  const limit = Math.min(frame.limit ?? DEFAULT_PAGE_LIMIT, limits.maxReadLimit);
  const streams = await store.listStreams(frame.prefix ?? '', frame.after, limit);
  const last = streams[streams.length - 1];
  return { type: 'stream-list', id: frame.id, streams, next: streams.length === limit && last !== undefined ? last.stream : null };
}

/** What `info` answers: who the server is, what it speaks and stores, and its limits. */
export interface ServerDescription {
  readonly serverId: string;
  readonly heartbeatMs: number;
  readonly limits: ServerLimits;
  readonly storeKinds: readonly string[];
  /** The store's identity (EventStore.id), announced as `store`. */
  readonly storeId: string;
}

/** Answers `info`. */
export async function serverInfo(store: EventStore, server: ServerDescription, id: number): Promise<ServerInfoFrame> {
  return {
    type: 'server-info',
    id,
    server: server.serverId,
    version: PROTOCOL_VERSION,
    versions: [...SUPPORTED_VERSIONS],
    stores: [...server.storeKinds],
    heartbeat: server.heartbeatMs,
    limits: server.limits,
    head: await store.headPosition(),
    store: server.storeId,
  };
}

/** A request frame names a single stream where a pattern is not allowed. */
export function requireSingleStream(selectorText: string): void {
  if (parseSelector(selectorText).kind !== 'stream') {
    throw new TauonError('bad-frame', `"${selectorText}" is a pattern; this request takes one stream`);
  }
}
