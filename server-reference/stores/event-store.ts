import type { TauonError } from '../../protocol/errors.js';
import type { AppendCondition, EventInput, ExpectedVersion, StoredEvent, StreamSummary } from '../../protocol/frames.js';
import type { GroupStore } from '../groups/group-store.js';
import type { ProjectionStore } from '../projections/projection-store.js';

/**
 * The EventStore interface: what a store must do so that the session engine can serve protocol
 * v1 on top of it. The engine does the rest (subscriptions, credit, catch-up to live, filters).
 *
 * Positions: `seq` is dense per stream (first event 1); `pos` is store-wide, increases with
 * every commit, and readers never see a gap that fills in later (an event with a lower `pos`
 * becomes visible no later than one with a higher `pos`). Positions need not be dense.
 */
export interface EventStore {
  /** A short name of the store's kind: `memory`, `lmdb`, `postgres`, `jetstream`. */
  readonly kind: string;

  /**
   * The store's identity, announced as `welcome.store` and `server-info.store` (SPEC 6.5.1): 1
   * to 256 characters, made when the store is created (a random UUID: `newStoreId()`) and kept
   * in it, so that it stays the same across restarts and every server opening the same store
   * reads the same one. A store recreated empty, or another store, has another. A store whose
   * data predates identities makes one on first open and keeps it (nothing else changes). A
   * store made of others derives it from theirs (RoutingStore). Set before the store is handed
   * out (by `open`), never changed after.
   */
  readonly id: string;

  /** The kinds of the stores behind this one, for a store that routes to others; `info` lists them. */
  readonly kinds?: readonly string[];

  /**
   * True when `append()` calls are decided one after another in the order they are made, each
   * against the writes of those before it (durable or not yet), and their {@link AppendHooks}
   * are honoured at that moment. The engine then hands a connection's writes to the store as
   * they arrive, without waiting for the previous ones to settle.
   */
  readonly decidesAppendsInOrder?: boolean;

  /**
   * True when the store checks an append's condition (AppendRequest.condition, SPEC 5.8.1)
   * atomically with the append: no event the condition matches can be stored between the check
   * and the write, by this server or any other server of the store. The server then announces
   * the feature `"append-condition"`; on any other store it refuses an append with a condition
   * (`unsupported`) before the store sees it. A store that says so answers the check from an
   * index of events by type and bounds its work (see append-condition.ts): it fails a request
   * with `condition-failed` when a matching event is stored after the condition's position, and
   * with `limit` when it cannot tell within CONDITION_SCAN_LIMIT events of a type.
   */
  readonly checksAppendConditions?: boolean;

  /**
   * Applies appends in the order given, each atomically (all its events or none), and resolves
   * with one outcome per request, in order. Once a request to a stream fails, every later
   * request to the same stream in this call fails with `chain-broken` and writes nothing.
   * Requests in one call should be written in one store transaction where the store can.
   * A store honours `hooks` when it says so ({@link decidesAppendsInOrder}).
   */
  append(requests: readonly AppendRequest[], hooks?: AppendHooks): Promise<AppendOutcome[]>;

  /** Events of one stream from `seq` (inclusive) in the given direction, at most `limit`. */
  readStream(stream: string, from: number, direction: Direction, limit: number): Promise<StoredEvent[]>;

  /**
   * Events of every stream (or of those whose name starts with `prefix`) from store-wide
   * position `pos` (inclusive) in the given direction, at most `limit`.
   */
  readAll(from: number, direction: Direction, limit: number, prefix?: string): Promise<StoredEvent[]>;

  /**
   * Optional, for replays without decoding: the events of one stream from `seq` (inclusive),
   * forward, at most `limit`, each as its msgpack encoding in the wire format (plain msgpack, a
   * map of the StoredEvent's fields, undefined fields left out: what `tauon/protocol`'s msgpack
   * codec makes of the event), one after the other; the positions are seqs. A store that keeps
   * events in that form can hand out the bytes it has; the engine splices them into `events`
   * frames.
   */
  readStreamEncoded?(stream: string, from: number, limit: number): Promise<EncodedEvents>;

  /** Optional, like {@link readStreamEncoded}, for every stream from store-wide `pos`; the positions are pos. */
  readAllEncoded?(from: number, limit: number): Promise<EncodedEvents>;

  /** The event with this id, anywhere in the store. */
  findEvent(id: string): Promise<StoredEvent | undefined>;

  /**
   * The first event recorded at or after `time`: in `stream`, or store-wide when `stream` is
   * undefined (then `prefix` narrows it). Undefined when none is that late.
   */
  findByTime(time: number, stream?: string, prefix?: string): Promise<StoredEvent | undefined>;

  /** The stream's summary, or undefined when it has no events. */
  streamInfo(stream: string): Promise<StreamSummary | undefined>;

  /** Streams in name order, from after `after`, whose name starts with `prefix`, at most `limit`. */
  listStreams(prefix: string, after: string | undefined, limit: number): Promise<StreamSummary[]>;

  /** The newest event of each key in the stream, in seq order. Events without a key are left out. */
  surface(stream: string): Promise<StoredEvent[]>;

  /**
   * The store-wide position of the newest event, 0 when the store is empty. The engine passes
   * the prefix of the pattern it follows (`''` for `$all`): a store with one numbering of
   * positions ignores it; a store that routes to others answers the head of the store that holds
   * the streams under it, or refuses a prefix whose streams it keeps in more than one store.
   */
  headPosition(prefix?: string): Promise<number>;

  /**
   * Calls `listener` after each commit that wrote events, with the events written, in commit
   * order. Returns a function that removes the listener.
   */
  onCommit(listener: (events: readonly StoredEvent[]) => void): () => void;

  /**
   * Optional, for metrics: calls `listener` after each commit this store made durable, with the
   * seconds it took (the disk sync, the COMMIT, the publish acks). Returns a function that
   * removes the listener. (CommitDurations keeps the listeners.)
   */
  onCommitDuration?(listener: (seconds: number) => void): () => void;

  /**
   * Optional: where the store keeps consumer groups' coordination state (SPEC 17). A server
   * serves consumer groups only on a store that has it.
   */
  readonly groups?: GroupStore;

  /**
   * Optional: where the store keeps server-side projections' records and states (SPEC 18). A
   * server runs projections only on a store that has it.
   */
  readonly projections?: ProjectionStore;

  /** Releases the store's resources. Further calls fail. */
  close(): Promise<void>;
}

export type Direction = 'forward' | 'backward';

/**
 * Events as their msgpack encodings, one after the other in one buffer, with their positions
 * (see {@link EventStore.readStreamEncoded}): one allocation per page, not one per event.
 */
export interface EncodedEvents {
  /** Each event's position: the seq in a stream read, the store-wide pos in a read of every stream. */
  readonly positions: readonly number[];
  /** Where each event's encoding ends in `bytes` (the first starts at 0). */
  readonly ends: readonly number[];
  readonly bytes: Uint8Array;
}

/** What a caller of {@link EventStore.append} adds to the deciding of its call. */
export interface AppendHooks {
  /**
   * Asked just before request `index` of the call is decided: an error fails that request with
   * it instead (nothing written; later requests to its stream in the call fail `chain-broken`).
   * The engine's per-connection chain rule, applied in order with the store's own decisions.
   */
  readonly refuse?: (index: number) => TauonError | undefined;
  /**
   * Called once, with the call's outcomes, as soon as they are decided (before they are
   * durable); the call's promise settles later with the same outcomes, or fails when the commit
   * does. (Calls decided after it may then already be written: a failing commit, a failing
   * disk, is the one case where a later write of a connection outlives an earlier failed one.)
   */
  readonly onDecided?: (outcomes: readonly AppendOutcome[]) => void;
}

/** One atomic append. */
export interface AppendRequest {
  readonly stream: string;
  /** Events with their ids assigned (the engine assigns missing ones). */
  readonly events: readonly (EventInput & { id: string })[];
  readonly expected: ExpectedVersion;
  /** Content de-duplication: skip an event whose key's newest event has the same type and data. */
  readonly dedupe: boolean;
  /**
   * Made only when no event this matches was stored after its position (SPEC 5.8.1); only on a
   * store that {@link EventStore.checksAppendConditions}.
   */
  readonly condition?: AppendCondition | undefined;
}

/** The result of one append: written (possibly partly as duplicates) or failed. */
export type AppendOutcome =
  | {
      readonly ok: true;
      /** The transaction written, or, when every event was a duplicate, the original's transaction. */
      readonly tx: number;
      /** Per event, in order: the seq (the original seq for a duplicate). */
      readonly seqs: number[];
      /** Per event, in order: the store-wide position. */
      readonly positions: number[];
      /** Indexes of events that wrote nothing (id already stored, or content duplicate). */
      readonly dups: number[];
      /** The events this append wrote. */
      readonly written: StoredEvent[];
    }
  | { readonly ok: false; readonly error: import('../../protocol/errors.js').TauonError };

/** Makes a store; the conformance suite calls it once per test with a fresh, empty store. */
export type EventStoreFactory = () => Promise<EventStore>;
