import type { EmitAck, EmitEvent, StoredEvent } from './types.js';

/**
 * Snapshots of an aggregate, so that loading a long stream stays flat: every `every` events the
 * command handler stores the folded state, with the version it includes, as one event of a
 * companion stream (`stream(name)`, by default `<name>.snapshot`). Loading reads the newest
 * snapshot first, then only the aggregate's events after it.
 */
export interface SnapshotOptions<State> {
  /** Store a snapshot once the aggregate is this many events past the snapshot it was loaded from (a positive integer). */
  every: number;
  /**
   * The companion stream that keeps an aggregate's snapshots. It must be a stream a client may
   * write (not starting with `$`). Readers of a prefix pattern that matches it (`orders.*` for
   * `orders.42.snapshot`) and of `$all` see the snapshots, as events of type `tauon.snapshot`.
   * @default (stream) => `${stream}.snapshot`
   */
  stream?: (stream: string) => string;
  /**
   * The version of the state's shape. A snapshot of another revision is ignored (the aggregate is
   * folded from its first event, and a new snapshot is stored): change it when `evolve` or the
   * state's shape changes.
   * @default 1
   */
  revision?: string | number;
  /** The state as event data (what the connection's codec can carry). @default the state itself */
  toSnapshot?: (state: State) => unknown;
  /** The state back from a snapshot's data. @default the data itself */
  fromSnapshot?: (data: unknown) => State;
}

/** What went wrong with a snapshot, for {@link AggregateOptions.onSnapshotError}. */
export interface SnapshotProblem {
  /** The aggregate's stream. */
  stream: string;
  /** `read`: the newest snapshot could not be used (the aggregate was folded from its first event instead). `write`: storing one failed. */
  during: 'read' | 'write';
  /** The version of the snapshot concerned. */
  version: number;
  /** The error. */
  error: unknown;
}

/** How an aggregate is read: paging, the mapping of stored events, snapshots. */
export interface AggregateOptions<State, Event> {
  /**
   * Events asked for in each page of a read (the server caps it at its `maxReadLimit`).
   * @default 1000
   */
  pageSize?: number;
  /**
   * The event `evolve` sees for a stored event, or undefined to pass it by. Plug typed events
   * in here (validate and narrow). System events (`$` types) never reach it: they are not folded.
   * @default the stored event as it is
   */
  decode?: (event: StoredEvent) => Event | undefined;
  /**
   * The event to emit for a decided event.
   * @default its `id`, `type`, `key`, `data`, `meta`, `time`, `causation`, `correlation` and `schema`
   */
  encode?: (event: Event) => EmitEvent;
  /** Snapshots every N events; none when absent. */
  snapshot?: SnapshotOptions<State>;
  /**
   * Told when a snapshot could not be read or written. Neither fails a load or a command: a
   * snapshot only saves time.
   */
  onSnapshotError?: (problem: SnapshotProblem) => void;
}

/** Options of a command handler. */
export interface CommandHandlerOptions<State, Event> extends AggregateOptions<State, Event> {
  /**
   * How many times a command is decided again after its append met a newer version of the
   * stream (another writer was first): the handler reads the new events, folds them and decides
   * again. When they are spent, the command fails with `CommandConflictError`.
   * @default 3
   */
  maxRetries?: number;
}

/** An aggregate as loaded: its state and the version it includes. */
export interface LoadedAggregate<State> {
  /** The state folded from the snapshot (if any) and the events after it. */
  state: State;
  /** The stream's version the state includes: the seq of its last event read, 0 when the stream has no events. */
  version: number;
  /** The version of the snapshot the load started from; 0 when it started from the first event. */
  snapshotVersion: number;
  /** Events read to load it, the snapshot included: what a snapshot saves. */
  eventsRead: number;
}

/** The outcome of one command. */
export interface CommandResult<State, Event> {
  /** The append's ack; undefined when the decision was no event (nothing was written). */
  ack: EmitAck | undefined;
  /** The state after the command. */
  state: State;
  /** The stream's version after the command. */
  version: number;
  /** The events decided (and stored), in order. */
  events: Event[];
  /** How many times the command was decided: 1, or more after conflicts with other writers. */
  attempts: number;
}
