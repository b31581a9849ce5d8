export type { ProjectionEntry, ProjectionSummary } from '../protocol/frames.js';
import type { ProjectionEntry } from '../protocol/frames.js';

/** The feature a server announces in `welcome.features` when it runs projections (SPEC 18.1). */
export const PROJECTIONS_FEATURE = 'projections';

/** Options of `projection`. */
export interface ProjectionReadOptions {
  /**
   * A position of the projection's selector (a seq when it is one stream, a store-wide pos for a
   * pattern or `$all`) that the state must include: the server answers once the projection's
   * checkpoint is at or past it. Pass the ack of your own emit (`ack.seq` or `ack.pos`, by the
   * selector) to read your own write.
   */
  atLeast?: number;
  /**
   * How long the server waits for `atLeast` before it answers with a `timeout` error (whose
   * `details.checkpoint` says where the projection is); 0 to 60000.
   * @default 5000 (the server's)
   */
  timeoutMs?: number;
}

/** One key's value of a projection, as of a checkpoint. */
export interface ProjectionState {
  /** The projection. */
  name: string;
  /** The key read: `''` for an unkeyed projection's state. */
  key: string;
  /** True when the key has a value. */
  found: boolean;
  /** The value, absent when `found` is false. */
  value?: unknown;
  /** Every event of the projection's selector at or below this position is in the value. */
  checkpoint: number;
}

/** Options of `projectionEntries`. */
export interface ProjectionEntriesOptions {
  /** Only keys after this one, in code point order (the `next` of the previous page). */
  after?: string;
  /**
   * Most entries in the page (the server caps it at its `maxReadLimit`).
   * @default 100
   */
  limit?: number;
}

/** One page of a projection's state, in key order. */
export interface ProjectionEntriesPage {
  entries: ProjectionEntry[];
  /** Pass as `after` to read the next page; null when this page was the last. */
  next: string | null;
  /** Every event of the projection's selector at or below this position is in the page. */
  checkpoint: number;
}

/** One committed change of a watched projection. */
export interface ProjectionChange {
  /** The projection. */
  name: string;
  /** The key that changed (`''` for an unkeyed projection). */
  key: string;
  /** False when the key was removed. */
  found: boolean;
  /** The key's new value, absent when it was removed. */
  value?: unknown;
  /** The checkpoint of the commit that made the change. */
  checkpoint: number;
}
