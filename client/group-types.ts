import type { TauonError } from '../protocol/errors.js';
import type { EventFilter, StoredEvent } from '../protocol/frames.js';

export type { GroupInfo, GroupMemberInfo, GroupPartitionInfo, GroupSummary } from '../protocol/frames.js';

/**
 * Options of `consume`, `consumeFeed` and `process`. The selector, `filter` and `partitions` are
 * fixed when the group is made by its first member; a member that names others is refused with
 * `group-mismatch`. The others are the member's own.
 */
export interface ConsumeOptions {
  /** Exact filters by event type and key: the group consumes only matching events. Fixed with the group. */
  filter?: EventFilter;
  /**
   * How many partitions the group spreads its events over, by key (by stream when an event has
   * no key): 1 to 1024. Each partition has at most one member at a time. Fixed with the group.
   * @default 16
   */
  partitions?: number;
  /**
   * Where a new group starts: every event of the selector (`start`), or only those stored after
   * the group is made (`end`). Ignored once the group exists: it goes on from its checkpoints.
   * @default 'start'
   */
  from?: 'start' | 'end';
  /**
   * The member's identity in the group, kept across reconnects. When absent, each subscription
   * makes a random one (so two subscriptions are two members).
   */
  member?: string;
  /**
   * Most events delivered to this member and not yet acknowledged (JetStream's max ack pending).
   * @default 1000 (the server's)
   */
  maxUnacked?: number;
  /**
   * An event not acknowledged this long after its delivery is delivered again, with every later
   * unacknowledged event of its partition, in order.
   * @default 30000 (the server's)
   */
  ackTimeoutMs?: number;
  /**
   * After this many deliveries without an acknowledgement an event is parked (reason
   * `max-deliveries`) and its partition goes on.
   * @default 10 (the server's)
   */
  maxDeliveries?: number;
  /**
   * How long the server keeps the member's partitions without hearing from it. The client pings
   * every quarter of it, and hands out events only while it knows its lease holds.
   * @default 10000
   */
  leaseMs?: number;
  /**
   * The credit window: most events on their way or waiting to be handed out at once. Capped at
   * the server's `maxCredit`.
   * @default ConnectOptions.prefetch (1000)
   */
  prefetch?: number;
}

/** What a `nack` asks for: a retry after `retryMs`, parking with a reason, or (empty) a retry after the server's backoff. */
export type NackOptions = { retryMs: number; park?: never } | { park: string; retryMs?: never } | Record<string, never>;

/**
 * One event delivered to a member of a consumer group, to be acknowledged (`ack`) once it is
 * processed, or given back (`nack`). An event not acknowledged in `ackTimeoutMs` is delivered
 * again.
 */
export interface Delivery {
  /** The event. */
  readonly event: StoredEvent;
  /** Its position in the group's selector: the seq for one stream, the store-wide pos for a pattern or `$all`. */
  readonly position: number;
  /** The partition it belongs to. */
  readonly part: number;
  /** The generation of the member's ownership of the partition it came with. */
  readonly gen: number;
  /** How many times the server has delivered it, this time included (1 the first time). */
  readonly deliveries: number;
  /**
   * Aborted when the member loses the partition (it moved, was fenced, or the connection was
   * lost) or can no longer be sure of its lease: stop processing, the next owner gets the event.
   */
  readonly signal: AbortSignal;
  /**
   * Acknowledges the event. Acknowledgements made in one tick travel together, per partition, in
   * one `ack` frame. Returns false, and sends nothing, when the member no longer holds the
   * partition at this generation (the event goes, or went, to the next owner).
   */
  ack(): boolean;
  /**
   * Gives the event back: delivered again after `retryMs`, or after the server's backoff (100 ms
   * doubling per delivery, up to 30 s) when empty; parked with the reason when `park` is given.
   * Returns false, and sends nothing, when the member no longer holds the partition at this
   * generation.
   */
  nack(options?: NackOptions): boolean;
}

/** One of the member's partitions. */
export interface PartitionAssignment {
  part: number;
  /** The generation of the member's ownership. */
  gen: number;
  /**
   * True while the group wants the partition back (a rebalance): its queued events are no longer
   * handed out, and the client releases it once every event handed out is acknowledged or nacked.
   */
  revoking: boolean;
}

/** The member's partitions changed (the server's `assigned`, or all of them lost with the connection). */
export interface AssignedItem {
  kind: 'assigned';
  /** The member's id. */
  member: string;
  /** The partitions the member holds now, by part. */
  parts: PartitionAssignment[];
}

/**
 * The server refused an `ack`, `nack` or `release` because the member no longer holds that
 * partition at that generation (code `fenced`): nothing of it was recorded, and the client drops
 * the partition.
 */
export interface FencedItem {
  kind: 'fenced';
  part: number;
  gen: number;
  error: TauonError;
}

/**
 * The client's knowledge of its lease changed: `held` false when it could not confirm in time
 * that the server still heard from it (it stops handing out events and aborts their signals),
 * true when it confirmed it again.
 */
export interface LeaseItem {
  kind: 'lease';
  held: boolean;
}

/** A delivery, as `consumeFeed` gives it between the status items. */
export interface DeliveryItem {
  kind: 'delivery';
  delivery: Delivery;
}

/** A change of the member's standing: partitions assigned, an acknowledgement fenced, the lease lost or confirmed. */
export type GroupStatusItem = AssignedItem | FencedItem | LeaseItem;

/** What `consumeFeed` emits: the deliveries, and the member's status between them. */
export type ConsumerItem = DeliveryItem | GroupStatusItem;

/** What a handler of `process` is told beside the event. */
export interface ProcessContext {
  /** The event's position in the group's selector. */
  readonly position: number;
  readonly part: number;
  readonly gen: number;
  /** How many times the event has been delivered, this time included. */
  readonly deliveries: number;
  /** Aborted when the member loses the partition or its lease: the result will not be recorded. */
  readonly signal: AbortSignal;
}

/** A handler of `process`: resolves once the event is processed (it is then acknowledged); rejects or throws to have it retried. */
export type EventHandler = (event: StoredEvent, context: ProcessContext) => unknown;

/** A handler of `process` failed on an event: it was nacked (retried after the server's backoff), or it will be parked. */
export interface HandlerFailedItem {
  kind: 'handler-failed';
  event: StoredEvent;
  context: ProcessContext;
  /** What the handler threw or rejected with. */
  error: unknown;
  /** True when this was the event's last delivery (`maxDeliveries`): the server parks it. */
  parked: boolean;
}

/** What `process` emits: the member's status, and the handler's failures. */
export type ProcessItem = GroupStatusItem | HandlerFailedItem;

/** Options of `process`. */
export interface ProcessOptions extends ConsumeOptions {
  /**
   * Most handlers running at once, each of another partition.
   * @default 16
   */
  concurrency?: number;
}
