import type { Observable } from 'rxjs';
import type {
  AppendCondition,
  EventFilter,
  EventInput,
  ExpectedVersion,
  ServerLimits,
  StartPosition,
  StoredEvent,
  StreamSummary,
  SubscriptionMode,
} from '../protocol/frames.js';
import type { TauonError } from '../protocol/errors.js';
import type { Codec, CodecName } from '../protocol/codec.js';
import type {
  ConsumeOptions,
  ConsumerItem,
  Delivery,
  EventHandler,
  GroupInfo,
  GroupSummary,
  ProcessItem,
  ProcessOptions,
} from './group-types.js';
import type {
  ProjectionChange,
  ProjectionEntriesOptions,
  ProjectionEntriesPage,
  ProjectionReadOptions,
  ProjectionState,
  ProjectionSummary,
} from './projection-types.js';

export type {
  AppendCondition,
  EventFilter,
  ExpectedVersion,
  StartPosition,
  StoredEvent,
  ServerLimits,
  StreamSummary,
  SubscriptionMode,
} from '../protocol/frames.js';

/**
 * An event to emit. `id` is the idempotency key: when absent the client assigns a UUIDv7 (time-ordered)
 * before the first send, so a resend after a reconnect can never write the event twice.
 * `time` is the producer's clock in milliseconds since the epoch; `meta` is a string map.
 */
export type EmitEvent = EventInput;

/** Options of one emit. */
export interface EmitOptions {
  /**
   * What the emit expects of the stream: `any` (no check), `none` (the stream must not exist),
   * `exists`, or the seq of the stream's last event. An emit with an expected version other
   * than `any` travels alone in its own `append` frame.
   * @default 'any'
   */
  expected?: ExpectedVersion;
  /**
   * Content de-duplication: an event with a `key` whose newest event of that key has the same
   * type and deep-equal data writes nothing (its index is flagged in `duplicates`).
   * @default false
   */
  dedupe?: boolean;
  /**
   * Write only when no event of `types` (and of `keys`, when given) was stored in `stream` (a
   * stream, `prefix*` or `$all`) after the store-wide position `after` (SPEC 5.8.1): a decision
   * that spans several entities, without a stream of its own. Take `after` from where the
   * decision was read (a cold subscription's `caught-up.at` on the same selector and filter).
   * When it fails, the emit fails with an `AppendConditionFailedError` naming the matching
   * event's `pos`; on a server that does not announce `"append-condition"` it fails with
   * `unsupported` and nothing is sent. An emit with a condition travels alone in its own frame.
   *
   * @example
   * await client.emit('bookings.42', [{ type: 'SeatReserved', key: 'seat-7' }], {
   *   condition: { stream: 'bookings.*', types: ['SeatReserved', 'SeatReleased'], keys: ['seat-7'], after: readAt },
   * });
   */
  condition?: AppendCondition;
}

/** The answer to one emit: where its events were stored, in the order they were given. */
export interface EmitAck {
  /** The stream written to. */
  stream: string;
  /**
   * The transaction of the `append` frame that carried the emit. Emits coalesced into one frame
   * share it; when every event was a duplicate it is the original transaction of the first.
   */
  tx: number;
  /** The seq of the emit's first event. */
  seq: number;
  /** The store-wide position of the emit's first event. */
  pos: number;
  /** The seq of each event (the original seq for a duplicate). */
  seqs: number[];
  /** The store-wide position of each event. */
  positions: number[];
  /** For each event: true when it wrote nothing (an id already stored, or a content duplicate). */
  duplicates: boolean[];
}

/** Options of `subscribe`, `feed`, `replay`, `live` and `iterate`. */
export interface SubscribeOptions {
  /**
   * Where to start. Numbers are seqs for one stream and store-wide positions for a pattern
   * (`orders.*`) or `$all`.
   * @default 'start' for cold and hot-cold, 'end' for hot
   */
  from?: StartPosition;
  /**
   * `cold`: history up to the head, then complete. `hot`: only what commits from now on.
   * `hot-cold`: history, then live.
   * @default 'hot-cold' (`replay` forces 'cold', `live` forces 'hot')
   */
  mode?: SubscriptionMode;
  /** Exact filters by event type and key, applied by the server. */
  filter?: EventFilter;
  /**
   * The credit window: at most this many events are on their way or buffered at once. Capped
   * at the `maxCredit` of the server it (re)subscribes to.
   * @default ConnectOptions.prefetch (1000)
   */
  prefetch?: number;
}

/** The subscription reached the head; `at` is the last position it examined (0 if none). */
export interface CaughtUpItem {
  kind: 'caught-up';
  at: number;
}

/** A live subscription fell more than the server's threshold behind and reads history again. */
export interface FellBehindItem {
  kind: 'fell-behind';
  at: number;
}

/** One event of a feed. */
export interface EventItem {
  kind: 'event';
  event: StoredEvent;
}

/** What `feed()` emits: the events, in order, and the subscription's catch-up signals between them. */
export type FeedItem = EventItem | CaughtUpItem | FellBehindItem;

/** Options of `read`. */
export interface ReadOptions {
  /**
   * Where the page starts.
   * @default 'start' forward, 'end' backward
   */
  from?: StartPosition;
  /** @default 'forward' */
  direction?: 'forward' | 'backward';
  /**
   * Most events in the page (the server caps it at its `maxReadLimit`).
   * @default 100
   */
  limit?: number;
  /** Exact filters by event type and key. */
  filter?: EventFilter;
}

/** One page of a read. */
export interface ReadResult {
  events: StoredEvent[];
  /** Pass as `from` to read the next page; null when this page reached the end. */
  next: StartPosition | null;
}

/** Options of `streams`. */
export interface StreamsOptions {
  /** Only streams whose name starts with this. */
  prefix?: string;
  /** Only streams whose name sorts after this (the `next` of the previous page). */
  after?: string;
  /** Most streams in the page. */
  limit?: number;
}

/** One page of stream summaries, in name order. */
export interface StreamsResult {
  streams: StreamSummary[];
  /** Pass as `after` for the next page; null when this was the last. */
  next: string | null;
}

/** A projection's status in {@link ServerInfo}. */
export interface ServerInfoProjection {
  name: string;
  /** Its selector. */
  stream: string;
  status: 'running' | 'failed' | 'rebuilding';
  /** Why it failed, when it did. */
  error?: string;
  /** Every event of its selector at or below this position is in its state. */
  checkpoint: number;
  /** How far the checkpoint is behind the selector's head. */
  lag: number;
}

/** What the server says about itself: the `server-info` frame without its `type` and `id`. */
export interface ServerInfo {
  /** The server's name. */
  server: string;
  /** The protocol version of this session. */
  version: number;
  /** Every protocol version the server speaks. */
  versions: number[];
  /** The kinds of the stores behind it, such as `lmdb`. */
  stores: string[];
  /** The keep-alive interval in milliseconds. */
  heartbeat: number;
  limits: ServerLimits;
  /** The store-wide position of the newest event (0 when empty). */
  head: number;
  /** The store's identity, as in `welcome`. */
  store?: string;
  /** Optional parts of the protocol the server serves, such as `"groups"`. */
  features?: string[];
  /** How many consumer groups the store keeps, where it keeps them. */
  groups?: number;
  /** The server-side projections the session may read, with their status. */
  projections?: ServerInfoProjection[];
}

/** Reconnect behaviour, in the manner of nats.js. */
export interface ReconnectOptions {
  /**
   * Reconnect after the connection is lost. When false, a lost connection closes the client.
   * @default true
   */
  enabled?: boolean;
  /**
   * The wait after the first failure; it doubles with every further failure.
   * @default 100
   */
  initialDelayMs?: number;
  /**
   * The longest wait between two tries.
   * @default 5000
   */
  maxDelayMs?: number;
  /**
   * Random spread of each wait, as a fraction: 0.2 makes a wait of 1000 ms anything from
   * 800 to 1200 ms, so that many clients do not redial in step.
   * @default 0.2
   */
  jitter?: number;
  /**
   * Most dial attempts in one reconnect cycle before the client gives up and closes; -1 for no
   * limit.
   * @default -1
   */
  maxAttempts?: number;
  /**
   * A custom wait in milliseconds before the next try, given how many tries in a row have failed
   * (1 for the first wait). Replaces the exponential backoff and its jitter.
   */
  delay?: (failures: number) => number;
}

/** Options of `connect`. */
export interface ConnectOptions {
  /**
   * The token sent in `hello`, or a function that returns one (called before every dial, so a
   * rotating token works across reconnects). A server closes a session when its token expires
   * (an `error` with code `unauthorized`, then close 4001): the client dials again, with a fresh
   * token from the function, and resumes its subscriptions and unacknowledged emits. A token
   * refused at `hello` (`reject`) is final: the client closes.
   * @example token: async () => (await fetch('/auth/tauon-token')).text()
   */
  token?: string | (() => string | Promise<string>);
  /**
   * The frame encoding: a name, or a codec object (`msgpackCodec`, `jsonCodec` of `tauon/protocol`).
   * In a browser build the default is JSON and `'msgpack'` by name is refused: a page that wants
   * msgpack passes `msgpackCodec`, which brings msgpackr into its bundle.
   * @default 'msgpack' in Node, 'json' in a browser build (the "browser" export condition)
   */
  codec?: CodecName | Codec;
  /**
   * Free text naming the client in the server's logs.
   * @default 'tauon-js'
   */
  clientName?: string;
  /** Reconnect behaviour; see {@link ReconnectOptions}. */
  reconnect?: ReconnectOptions;
  /**
   * When true, `connect` keeps dialing (by the reconnect policy) until the first connection
   * succeeds instead of failing on the first refusal. A `reject` from the server still fails it.
   * @default false
   */
  waitOnFirstConnect?: boolean;
  /**
   * How long `read`, `surface`, `streams` and `info` wait for their answer, across reconnects,
   * before they fail with a `timeout` error. Emits have no timeout: they wait for their ack
   * across reconnects until the client closes.
   * @default 30000
   */
  requestTimeoutMs?: number;
  /**
   * How long a dial waits for `welcome` after the transport connected.
   * @default 10000
   */
  handshakeTimeoutMs?: number;
  /**
   * The credit window of each subscription.
   * @default 1000
   */
  prefetch?: number;
  /**
   * Most `append` frames awaiting their ack at once; further emits wait (and coalesce) in the queue.
   * @default 64
   */
  maxAppendsInFlight?: number;
  /**
   * Most events coalesced into one `append` frame (an emit is never split, so a larger emit
   * travels alone). Also capped by the server's `maxEventsPerAppend`.
   * @default 250
   */
  maxEventsPerFrame?: number;
  /**
   * Soft bound, in estimated bytes, of one coalesced `append` frame. A frame that still encodes
   * larger than the server's `maxFrameBytes` is split per emit, or fails with `too-large`.
   * @default 524288 (512 KiB)
   */
  maxFrameBytes?: number;
}

/** The state of the client's connection. */
export interface ConnectionStatus {
  /**
   * `connecting`: the first connection is being made. `connected`: a session is up.
   * `reconnecting`: the connection was lost and the client is dialing again. `closed`: final.
   */
  state: 'connecting' | 'connected' | 'reconnecting' | 'closed';
  /** The dial attempt in progress in this (re)connect cycle, from 1; 0 when connected or closed. */
  attempt: number;
  /** The server's name from `welcome`, while connected. */
  server?: string;
  /** The identity of the server's store from `welcome`, while connected, when the server names it. */
  store?: string;
  /** Why the previous connection or dial failed, or why the client closed. */
  error?: TauonError;
}

/**
 * A pull-based iterator of a subscription's events. Credit is granted only as the consumer
 * pulls, so a consumer that stops pulling stops the server's sending; `return()` ends the
 * subscription.
 */
export interface EventIterator extends AsyncIterableIterator<StoredEvent, undefined, undefined> {
  /** The next event; done when the subscription completed or was returned; rejects with the subscription's error. */
  next(): Promise<IteratorResult<StoredEvent, undefined>>;
  /** Ends the subscription (sends `unsubscribe`); later calls of `next` are done. */
  return(): Promise<IteratorResult<StoredEvent, undefined>>;
}

/**
 * A connected Tauon client. Get one from {@link connect}. Every method may be called while the
 * client is reconnecting: writes and requests wait for the connection, subscriptions resume
 * where they were.
 */
export interface Client {
  /**
   * Appends one event, or several events atomically (all or none, in one transaction), to a
   * stream. Emits issued in the same tick to the same stream with the same options travel in
   * one `append` frame. Resolves with the ack; rejects with a {@link TauonError}:
   * `WrongExpectedVersionError`, `AppendConditionFailedError` (its `condition` did not hold),
   * `ChainBrokenError` (an earlier emit to the stream failed while this one was on its way),
   * `ConnectionClosedError` (the client closed first), ...
   * @example
   * ```ts
   * const ack = await client.emit('orders', { type: 'OrderPlaced', key: 'order-1', data: { total: 42 } });
   * // Several events, atomically, and only if no one wrote to the stream since that ack:
   * await client.emit('orders', [
   *   { type: 'OrderPaid', key: 'order-1', data: { amount: 42 } },
   *   { type: 'OrderShipped', key: 'order-1' },
   * ], { expected: ack.seq });
   * ```
   */
  emit(stream: string, event: EmitEvent, options?: EmitOptions): Promise<EmitAck>;
  emit(stream: string, events: EmitEvent[], options?: EmitOptions): Promise<EmitAck>;
  /**
   * The events of a stream, a pattern (`orders.*`) or `$all`. A cold Observable: each
   * subscriber opens its own server subscription (`subscribe` frame), and unsubscribing sends
   * `unsubscribe` (it never calls `complete`). Mode `hot-cold` by default. Completes when a
   * cold subscription has delivered everything, and when the client is closed; errors with a
   * {@link TauonError} when the server ends the subscription with an error, at once (`bad-frame`)
   * when its options are not valid, or when the client gives up reconnecting. Survives
   * reconnects with no gap and no duplicate.
   * @example
   * ```ts
   * const subscription = client.subscribe('orders.*', { from: { after: 100 }, filter: { types: ['OrderPlaced'] } }).subscribe({
   *   next: (event) => console.log(event.stream, event.pos, event.type),
   *   error: (error) => console.error('the subscription ended:', error),
   * });
   * // later: subscription.unsubscribe();
   * ```
   */
  subscribe(stream: string, options?: SubscribeOptions): Observable<StoredEvent>;
  /**
   * Like {@link Client.subscribe} (a cold Observable), with the subscription's `caught-up` and
   * `fell-behind` signals between the events.
   * @example
   * ```ts
   * client.feed('orders').subscribe((item) => {
   *   if (item.kind === 'event') console.log(item.event.seq, item.event.type);
   *   else if (item.kind === 'caught-up') console.log('up to date at', item.at);
   * });
   * ```
   */
  feed(stream: string, options?: SubscribeOptions): Observable<FeedItem>;
  /**
   * `subscribe` in mode `cold`: the history up to the head, then complete. A cold Observable.
   * @example
   * ```ts
   * import { firstValueFrom, toArray } from 'rxjs';
   * const history = await firstValueFrom(client.replay('orders').pipe(toArray()));
   * ```
   */
  replay(stream: string, options?: Omit<SubscribeOptions, 'mode'>): Observable<StoredEvent>;
  /**
   * `subscribe` in mode `hot`: only events committed after it starts. A cold Observable (one server subscription per subscriber).
   * @example
   * ```ts
   * client.live('orders', { filter: { types: ['OrderPlaced'] } }).subscribe((event) => console.log('new order', event.key));
   * ```
   */
  live(stream: string, options?: Omit<SubscribeOptions, 'mode'>): Observable<StoredEvent>;
  /**
   * A pull-based iterator over a subscription (use with `for await`). The subscription opens
   * on the first `next()`; credit returns only as events are pulled, so at most `prefetch`
   * events are ever buffered.
   * @example
   * ```ts
   * // The server sends only what the loop pulls; breaking out of the loop ends the subscription.
   * for await (const event of client.iterate('orders', { mode: 'cold' })) {
   *   await handle(event);
   * }
   * ```
   */
  iterate(stream: string, options?: SubscribeOptions): EventIterator;
  /**
   * One page of events. Resent after a reconnect; fails with `timeout` after `requestTimeoutMs`,
   * and at once with `bad-frame` when its options are not valid (as do `surface` and `streams`).
   * @example
   * ```ts
   * // The newest ten events, newest first:
   * const { events } = await client.read('orders', { direction: 'backward', limit: 10 });
   * // Every page, oldest first:
   * let page = await client.read('orders', { limit: 500 });
   * while (page.next !== null) page = await client.read('orders', { from: page.next, limit: 500 });
   * ```
   */
  read(stream: string, options?: ReadOptions): Promise<ReadResult>;
  /**
   * The newest event of each key of a stream, in seq order.
   * @example
   * ```ts
   * const prices = await client.surface('prices'); // the newest event of each key
   * ```
   */
  surface(stream: string): Promise<StoredEvent[]>;
  /**
   * One page of stream summaries, in name order.
   * @example
   * ```ts
   * const { streams, next } = await client.streams({ prefix: 'orders.', limit: 50 });
   * for (const summary of streams) console.log(summary.stream, summary.head);
   * if (next !== null) await client.streams({ prefix: 'orders.', after: next });
   * ```
   */
  streams(options?: StreamsOptions): Promise<StreamsResult>;
  /**
   * What the server says about itself.
   * @example
   * ```ts
   * const info = await client.info();
   * const servesGroups = info.features?.includes('groups') ?? false;
   * ```
   */
  info(): Promise<ServerInfo>;
  /**
   * Joins the consumer group `group` on `selector` (a stream, a pattern such as `orders.*`, or
   * `$all`) and delivers the events of the partitions this member is given, each partition in
   * order. A cold Observable: each subscriber is one member (`consume` frame, with
   * `options.member` or a random id made at subscribe time, kept across reconnects), and
   * unsubscribing leaves the group (`unsubscribe`). Acknowledge each {@link Delivery} once it is
   * processed: the group's checkpoints are kept by the server's store, so a member that starts
   * again, or another with the same group name, goes on after the last acknowledged event. What
   * is not acknowledged in `ackTimeoutMs` is delivered again, to this member or the partition's
   * next owner: at-least-once.
   *
   * The group is made by its first member, with that member's selector, `filter`, `partitions`
   * and `from`. Errors (ending the Observable) with `group-mismatch` when it exists with others,
   * `unsupported` when the server serves no groups, `forbidden` without read permission on the
   * selector, `bad-frame` at once when the options are not valid, or when the client gives up
   * reconnecting. A lost connection loses every partition at once (their signals abort); the
   * member joins again on the next connection. Completes when the client is closed.
   * @example
   * ```ts
   * client.consume('billing', 'orders.*').subscribe({
   *   next: async (delivery) => {
   *     await bill(delivery.event);
   *     delivery.ack();
   *   },
   *   error: (error) => console.error('the consumer ended:', error),
   * });
   * ```
   */
  consume(group: string, selector: string, options?: ConsumeOptions): Observable<Delivery>;
  /**
   * Like {@link Client.consume} (a cold Observable, one member per subscriber), with the member's
   * status between the deliveries: its partitions as they are assigned (and revoked, and lost
   * with the connection), acknowledgements the server refused as `fenced`, and its lease.
   * @example
   * ```ts
   * client.consumeFeed('billing', 'orders.*').subscribe((item) => {
   *   if (item.kind === 'assigned') console.log('partitions', item.parts.map((partition) => partition.part));
   *   else if (item.kind === 'delivery') void bill(item.delivery.event).then(() => item.delivery.ack());
   * });
   * ```
   */
  consumeFeed(group: string, selector: string, options?: ConsumeOptions): Observable<ConsumerItem>;
  /**
   * Joins the consumer group `group` on `selector` and runs `handler` for each event of the
   * member's partitions: the event is acknowledged when the handler resolves, and nacked (tried
   * again after the server's backoff, parked after `maxDeliveries`) when it rejects or throws.
   * Partitions run in parallel, up to `concurrency` handlers at once; each partition runs strictly
   * in order: its next event starts only after the previous one was acknowledged (or parked), so
   * the events of one key are never processed out of order or two at once by this member. A
   * redelivery of an event that is queued or being processed does not run the handler again.
   *
   * A cold Observable of the member's status and the handler's failures: it runs while
   * subscribed. Unsubscribing stops starting handlers, lets the running ones finish and their
   * events be acknowledged, then leaves the group. Errors as {@link Client.consume} does.
   * @example
   * ```ts
   * const running = client.process('billing', 'orders.*', async (event, { signal }) => {
   *   await bill(event, { signal });
   * }).subscribe({ error: (error) => console.error('the processor ended:', error) });
   * // later: running.unsubscribe();
   * ```
   */
  process(group: string, selector: string, handler: EventHandler, options?: ProcessOptions): Observable<ProcessItem>;
  /**
   * Every consumer group the server's store keeps (those whose selector this client may read), by name.
   * @example
   * ```ts
   * for (const group of await client.groups()) console.log(group.group, group.members, group.lag, group.parked);
   * ```
   */
  groups(): Promise<GroupSummary[]>;
  /**
   * One consumer group in full (members, partitions, checkpoints, lag, parked events), or undefined when there is none of that name.
   * @example
   * ```ts
   * const billing = await client.group('billing');
   * const owners = billing?.partitionList.map((partition) => partition.owner);
   * ```
   */
  group(name: string): Promise<GroupInfo | undefined>;
  /**
   * Delivers the group's parked events to it again: each partition's owner delivers its parked
   * events (in order, before new ones); one acknowledged is unparked, one that fails again is
   * parked again. Resolves with how many were parked. Needs write permission on the group's selector.
   * @example
   * ```ts
   * const parked = await client.replayParked('billing'); // how many are delivered again
   * ```
   */
  replayParked(name: string): Promise<number>;
  /**
   * The projections the server runs (SPEC 18), those whose selector this client may read, by
   * name: each one's selector, whether it is keyed, its status (`running`, `failed` with its
   * `error`, `rebuilding`), its checkpoint, the selector's head and the lag between them. Fails
   * with `unsupported` when the server runs no projections.
   * @example
   * ```ts
   * const failed = (await client.projections()).filter((projection) => projection.status === 'failed');
   * ```
   */
  projections(): Promise<ProjectionSummary[]>;
  /**
   * One key's value of a projection (`key` absent: `''`, the whole state of an unkeyed
   * projection), with the checkpoint it includes; `found` is false when the key has no value.
   * With `atLeast`, the server answers once the state includes that position of the projection's
   * selector: read-your-writes from an emit's ack to the read side. Fails with `not-found` (no
   * such projection), `forbidden` (no read permission on its selector), `timeout` (the position
   * was not reached within `timeoutMs`; `details.checkpoint` says where it is), `projection-failed`
   * (the projection stopped before the position, until it is rebuilt). Resent after a reconnect;
   * its request timeout is `requestTimeoutMs` plus the wait.
   * @example
   * ```ts
   * const ack = await client.emit('orders.42', { type: 'OrderPlaced', key: 'order-42', data: { total: 12.5 } });
   * // "order-totals" projects "orders.*" (a pattern): its positions are store-wide pos
   * const totals = await client.projection('order-totals', 'order-42', { atLeast: ack.pos });
   * ```
   */
  projection(name: string, key?: string, options?: ProjectionReadOptions): Promise<ProjectionState>;
  /**
   * One page of a projection's state, in key order (code points); pass `next` as `after` for the next.
   * @example
   * ```ts
   * let page = await client.projectionEntries('revenue-per-day', { limit: 100 });
   * while (page.next !== null) page = await client.projectionEntries('revenue-per-day', { after: page.next, limit: 100 });
   * ```
   */
  projectionEntries(name: string, options?: ProjectionEntriesOptions): Promise<ProjectionEntriesPage>;
  /**
   * The changes of a projection (of one key, when `key` is given) as the server commits them,
   * each with its new value (none when the key was removed) and the checkpoint of its commit.
   * Each subscriber opens its own watch (`watch-projection`; unsubscribing sends `unsubscribe`),
   * and sees only what is committed after its watch started: the source is hot. A watcher that
   * reads more slowly than changes come may be sent only the newest change of each key.
   *
   * Across a reconnect the watch is sent again. Changes committed while the client was away are
   * not delivered; a watch of one key then reads the key and delivers its value as a change
   * when it is newer than the last one delivered, so that the watcher ends with the latest
   * value. A watch of every key does not: re-read with {@link Client.projectionEntries} when the
   * status shows a reconnect. Errors with `not-found`, `forbidden`, `unsupported`, `overloaded`
   * (the server ended a watch that fell too far behind); completes when the client is closed.
   * @example
   * ```ts
   * client.watchProjection('kit-counts', 'OrderPlaced').subscribe((change) => render(change.value));
   * ```
   */
  watchProjection(name: string, key?: string): Observable<ProjectionChange>;
  /**
   * Starts a projection over from the start of its selector: its state is reset (readers see it
   * grow again from nothing) and it is `rebuilding` until it catches up. Resolves once the
   * state was reset. Needs write permission on the projection's selector; also starts a failed
   * projection again.
   * @example
   * ```ts
   * await client.rebuildProjection('revenue-per-day'); // after fixing its evolve, say
   * ```
   */
  rebuildProjection(name: string): Promise<void>;
  /**
   * Marks a transaction of a stream invalid: appends a `$invalidated` event naming it (nothing
   * is deleted). Ordered with the emits to the same stream. Not idempotent, so it is not resent:
   * if the connection drops before its ack, it fails with `ConnectionClosedError` (it may or may
   * not have been applied).
   * @example
   * ```ts
   * const ack = await client.emit('orders', { type: 'OrderPlaced', key: 'order-1', data: { total: -1 } });
   * await client.invalidate('orders', ack.tx, 'a negative total');
   * ```
   */
  invalidate(stream: string, tx: number, reason?: string): Promise<EmitAck>;
  /**
   * The connection's status. A hot Observable that replays the current status to each new subscriber; completes after `closed`.
   * @example
   * ```ts
   * client.status$.subscribe((status) => console.log(status.state, status.attempt, status.error?.code));
   * ```
   */
  readonly status$: Observable<ConnectionStatus>;
  /**
   * The current status.
   * @example
   * ```ts
   * if (client.status.state === 'connected') console.log('on', client.status.server);
   * ```
   */
  readonly status: ConnectionStatus;
  /**
   * Closes the client: rejects every pending emit and request with `ConnectionClosedError`,
   * completes every subscription (an iterator first yields what it has buffered), closes the
   * connection and stops reconnecting. Idempotent.
   * @example
   * ```ts
   * await client.close();
   * ```
   */
  close(): Promise<void>;
}
