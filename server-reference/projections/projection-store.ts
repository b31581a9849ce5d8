/**
 * Where a store keeps server-side projections' state (issue 18, SPEC 18): per projection, a
 * record (its checkpoint, status and a revision) and its state, one value per key (the key `''`
 * holds an unkeyed projection's whole state). A commit writes state changes and the record
 * together, atomically, so that the state never holds an event its checkpoint does not, and no
 * event is applied twice across a crash. A store offers it as `EventStore.projections`; a server
 * whose store has none runs no projections (and does not announce the `projections` feature).
 *
 * The engine (server-reference/projections/) decides everything; a ProjectionStore only keeps
 * what it is given. Commits are compare-and-set on the record's revision, so that servers in
 * front of one store (one PostgreSQL database, one JetStream) never both advance one
 * projection: the one that loses reloads. The store contract (`tauon/conformance/store`) tests
 * every method.
 */
export interface ProjectionStore {
  /** The projection's record, or undefined when it has none (never committed, or reset). */
  record(name: string): Promise<ProjectionRecord | undefined>;

  /** The committed value of one key (`''` for an unkeyed projection), or undefined when it has none. */
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- undefined named for the reader: "none"
  get(name: string, key: string): Promise<ProjectionValue | undefined>;

  /** Committed values in key order (code point order, as `listStreams`), keys after `after`, at most `limit`. */
  entries(name: string, after: string | undefined, limit: number): Promise<ProjectionEntry[]>;

  /**
   * Atomically applies `changes` (a value sets its key, `undefined` removes it) and writes
   * `record`, if the stored record's revision is `expected` (undefined: only when no record is
   * stored). Resolves true when written, false when another writer came first (nothing written).
   * Changes name each key at most once.
   */
  commit(name: string, changes: readonly ProjectionChange[], record: ProjectionRecord, expected: number | undefined): Promise<boolean>;

  /** Removes the projection's record and every value of it (a rebuild starts from nothing). */
  reset(name: string): Promise<void>;

  /** The names of the projections that have a record, in code point order. */
  list(): Promise<string[]>;
}

/**
 * A projection's value: plain msgpack/JSON data (no undefined inside, no Map, no class
 * instances); a store may keep it as JSON text, jsonb or msgpack and must hand back an equal value.
 */
export type ProjectionValue = unknown;

export interface ProjectionEntry {
  readonly key: string;
  readonly value: ProjectionValue;
}

export interface ProjectionChange {
  readonly key: string;
  /** The new value, or undefined to remove the key. */
  // eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents -- undefined named for the reader: "remove"
  readonly value: ProjectionValue | undefined;
}

/** A projection's record. Plain JSON, as {@link ProjectionValue}. */
export interface ProjectionRecord {
  /** The record's format; 1. */
  readonly v: 1;
  /** Incremented by every commit: the engine writes `expected + 1` (1 for the first). */
  readonly revision: number;
  /** Every event of the projection's selector at or below this position is in its state (0: none). */
  readonly checkpoint: number;
  /** A fingerprint of the definition that made the state, so that a changed definition is noticed. */
  readonly definition: string;
  readonly status: 'running' | 'failed';
  /** Why it failed (the evolve's error message), or null. */
  readonly error: string | null;
  /** When it was written (ms since the epoch). */
  readonly updated: number;
}
