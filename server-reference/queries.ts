import type { GroupsEngine } from './groups/groups-engine.js';
import { Permissions } from './auth/permissions.js';
import type { ProjectionService } from './projections/projection-service.js';
import { TauonError } from '../protocol/errors.js';
import type {
  PageFrame,
  ReadFrame,
  ServerInfoFrame,
  ServerLimits,
  StoredEvent,
  StreamListFrame,
  StreamsFrame,
  StreamSummary,
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

/**
 * Answers `read`: one page of events in either direction, with where the next page starts.
 * `next` is exact (SPEC 6.4.6): null when the read examined the selection up to its end (forward,
 * the head at the time of the read; backward, its first event), else the last position examined.
 * Each store page asks for one event more than the page can take, so that a page that ends
 * exactly at the end of the selection knows it; a read that stops on its page budget looks one
 * event further.
 */
export async function readPage(store: EventStore, limits: ServerLimits, frame: ReadFrame): Promise<PageFrame> {
  const selector = parseSelector(frame.stream);
  const direction = frame.direction ?? 'forward';
  const limit = Math.min(frame.limit ?? DEFAULT_PAGE_LIMIT, limits.maxReadLimit);
  const predicate = compileFilter(frame.filter);
  const events: StoredEvent[] = [];
  // `cursor` is the last position examined; `from` the next one to read.
  let cursor: number;
  let from: number;
  if (direction === 'forward') {
    cursor = await resolveForwardCursor(store, selector, frame.from ?? 'start');
    from = cursor + 1;
  } else {
    from = await resolveBackwardStart(store, selector, frame.from ?? 'end');
    cursor = from + 1;
  }
  // Whether the selection holds events past `cursor`: unknown until a read says.
  let more: boolean | undefined = from < 1 ? false : undefined;
  // The store reads its pages in short turns; between them the read lets others in as well.
  const turns = new TurnBudget();
  for (let pages = 0; pages < MAX_FILTERED_PAGES && more === undefined; pages += 1) {
    await turns.yieldIfSpent();
    const asked = limit + 1;
    const batch = await readSelected(store, selector, from, direction, asked);
    let examined = 0;
    for (const event of batch) {
      if (events.length === limit) break;
      cursor = positionIn(selector, event);
      examined += 1;
      if (predicate === undefined || predicate(event)) events.push(event);
    }
    from = direction === 'forward' ? cursor + 1 : cursor - 1;
    // An event left unexamined follows; a short batch, all examined, reached the end.
    if (examined < batch.length) more = true;
    else if (batch.length < asked || from < 1) more = false;
  }
  if (more === undefined) more = (await readSelected(store, selector, from, direction, 1)).length > 0;
  const next: PageFrame['next'] = !more ? null : direction === 'forward' ? { after: cursor } : { before: cursor };
  return { type: 'page', id: frame.id, events, next };
}

/** Answers `surface`: the newest event of each key of a stream. */
export async function surfacePage(store: EventStore, frame: SurfaceFrame): Promise<PageFrame> {
  return { type: 'page', id: frame.id, events: await store.surface(frame.stream), next: null };
}

/**
 * Answers `streams`: one page of stream summaries in name order. `next` is exact (SPEC 6.4.9):
 * the store is asked for one stream more than the page takes, and `next` is null when none follows.
 */
export async function streamList(store: EventStore, limits: ServerLimits, frame: StreamsFrame): Promise<StreamListFrame> {
  const limit = Math.min(frame.limit ?? DEFAULT_PAGE_LIMIT, limits.maxReadLimit);
  return streamListPage(frame.id, await store.listStreams(frame.prefix ?? '', frame.after, limit + 1), limit);
}

/** The `stream-list` of the first `limit` of `found` (in name order), naming the last as `next` only when more were found. */
export function streamListPage(id: number, found: readonly StreamSummary[], limit: number): StreamListFrame {
  const streams = found.slice(0, limit);
  const next = found.length > limit ? streams[streams.length - 1]!.stream : null;
  return { type: 'stream-list', id, streams, next };
}

/** What `info` answers: who the server is, what it speaks and stores, and its limits. */
export interface ServerDescription {
  readonly serverId: string;
  readonly heartbeatMs: number;
  readonly limits: ServerLimits;
  readonly storeKinds: readonly string[];
  /** The store's identity (EventStore.id), announced as `store`. */
  readonly storeId: string;
  /** The consumer groups the server serves, where its store keeps them (SPEC 17). */
  readonly groups?: GroupsEngine | undefined;
  /** The store checks append conditions atomically (EventStore.checksAppendConditions, SPEC 5.8.1). */
  readonly appendConditions?: boolean;
  /** The server-side projections the server runs, where its store keeps them (SPEC 18). */
  readonly projections?: ProjectionService | undefined;
}

/** The optional parts of the protocol a server serves (`welcome.features`). */
export function featuresOf(server: ServerDescription): string[] {
  const features = server.groups === undefined ? [] : ['groups'];
  if (server.projections !== undefined) features.push('projections');
  if (server.appendConditions === true) features.push('append-condition');
  return features;
}

/** Answers `info`; the projections listed are those whose selector `permissions` may read. */
export async function serverInfo(store: EventStore, server: ServerDescription, id: number, permissions: Permissions = Permissions.all): Promise<ServerInfoFrame> {
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
    features: featuresOf(server),
    ...(server.groups === undefined ? {} : { groups: await server.groups.count() }),
    ...(server.projections === undefined ? {} : { projections: await projectionStatuses(server.projections, permissions) }),
  };
}

/** Each projection's status for `server-info`: a failed one says why. */
async function projectionStatuses(projections: ProjectionService, permissions: Permissions): Promise<NonNullable<ServerInfoFrame['projections']>> {
  const summaries = await projections.list();
  return summaries
    .filter((summary) => permissions.mayRead(parseSelector(summary.stream)))
    .map(({ name, stream, status, error, checkpoint, lag }) => ({ name, stream, status, ...(error === undefined ? {} : { error }), checkpoint, lag }));
}

/** A request frame names a single stream where a pattern is not allowed. */
export function requireSingleStream(selectorText: string): void {
  if (parseSelector(selectorText).kind !== 'stream') {
    throw new TauonError('bad-frame', `"${selectorText}" is a pattern; this request takes one stream`);
  }
}
