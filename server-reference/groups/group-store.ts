import type { EventFilter } from '../../protocol/frames.js';

/**
 * Where a store keeps its consumer groups' coordination state (SPEC 17): one small document per
 * group, written by compare-and-set so that servers in front of one store (one PostgreSQL
 * database, one JetStream) agree on members, partition owners and checkpoints; and each group's
 * parked events. A store offers it as `EventStore.groups`; a server whose store has none serves
 * no groups (and does not announce the `groups` feature).
 *
 * The engine (server-reference/groups/) decides everything; a GroupStore only keeps what it is
 * given, atomically. The store contract (`tauon/conformance/store`) tests every method.
 */
export interface GroupStore {
  /** The group's document and its revision, or undefined when no such group exists. */
  load(group: string): Promise<VersionedGroupState | undefined>;

  /**
   * Writes the group's document if its revision is still `expected` (undefined: only if the group
   * does not exist yet). Resolves with the new revision, or with undefined when another writer
   * came first (nothing written): the caller loads again and retries. Never a lost update.
   */
  save(group: string, state: GroupState, expected: string | undefined): Promise<string | undefined>;

  /** Every group's name, in name order. */
  list(): Promise<string[]>;

  /** Removes the group's document and its parked events. Resolves false when there was no such group. */
  delete(group: string): Promise<boolean>;

  /** Keeps (or replaces) a parked event of the group, keyed by its `position`. */
  park(group: string, event: ParkedEvent): Promise<void>;

  /** Parked events of the group with a position above `after`, in position order, at most `limit`; of one partition when `part` is given. */
  parked(group: string, after: number, limit: number, part?: number): Promise<ParkedEvent[]>;

  /** Forgets a parked event (it was replayed and acknowledged). Resolves false when there was none. */
  unpark(group: string, position: number): Promise<boolean>;

  /** How many events of the group are parked, per partition (partitions with none left out). */
  parkedCounts(group: string): Promise<Map<number, number>>;
}

/** A group's document with the revision to pass to {@link GroupStore.save}. */
export interface VersionedGroupState {
  readonly state: GroupState;
  /** Opaque to the engine: compared by the store only. */
  readonly revision: string;
}

/**
 * One consumer group's coordination state. Plain JSON (no undefined values, no Map): a store may
 * keep it as JSON text, jsonb or msgpack and must hand back an equal value.
 */
export interface GroupState {
  /** The document's format; 1. */
  readonly v: 1;
  /** The selector: a stream, `prefix*` or `$all`. */
  readonly stream: string;
  readonly filter: EventFilter | null;
  readonly partitions: number;
  /** When the group was made (ms since the epoch). */
  readonly created: number;
  /** The last generation handed out: every change of a partition's owner takes the next. */
  readonly lastGen: number;
  /** Members by id. */
  readonly members: Readonly<Record<string, GroupMember>>;
  /** One entry per partition, index = partition number. */
  readonly parts: readonly GroupPartition[];
  /** Incremented by each replay-parked request; a partition's owner replays when its `replayed` is behind. */
  readonly replay: number;
}

export interface GroupMember {
  /** Lease end, ms since the epoch by the renewing server's clock. */
  readonly expires: number;
  readonly leaseMs: number;
  /** The server instance (a UUID per running server) hosting the member's session. */
  readonly host: string;
  readonly joined: number;
}

export interface GroupPartition {
  /** The member holding it, or null while it is free. */
  readonly owner: string | null;
  /** The generation of the current ownership (0 before the first). */
  readonly gen: number;
  /** True while the group wants it back from its owner (a rebalance). */
  readonly revoking: boolean;
  /** Every event of the partition at or below this position is acknowledged or parked. */
  readonly checkpoint: number;
  /** The replay request (GroupState.replay) this partition has replayed up to. */
  readonly replayed: number;
}

/** An event a group gave up on, with why. The event itself stays in its stream. */
export interface ParkedEvent {
  /** The event's position in the group's selector (seq for a stream selector, pos otherwise). */
  readonly position: number;
  readonly part: number;
  readonly id: string;
  readonly stream: string;
  readonly seq: number;
  readonly reason: string;
  readonly deliveries: number;
  /** When it was parked (ms since the epoch). */
  readonly parkedAt: number;
}
