import type { ProjectionValue } from './projection-store.js';

/**
 * What the protocol session, the HTTP API and `server-info` ask of a server's projections
 * (issue 18, SPEC 18). The engine (projections-engine.ts) implements it; the session and the
 * HTTP API use nothing else of it. Names that the server runs no projection of fail with a
 * `TauonError` of code `not-found`; every other failure is a `TauonError` with a stable code.
 */
export interface ProjectionService {
  /** Every projection this server runs, in name order. */
  list(): Promise<ProjectionSummary[]>;

  /** One projection's summary. */
  summary(name: string): Promise<ProjectionSummary>;

  /**
   * The value of one key (`''` for an unkeyed projection), with the checkpoint it includes. With
   * `atLeast`, waits until the projection's checkpoint is at or past that position (of its
   * selector: a seq for a stream, a store-wide pos for a pattern or `$all`), up to `timeoutMs`;
   * past it fails `timeout` with `details: {checkpoint}`. A failed projection answers with what
   * it has, and fails `projection-failed` when `atLeast` is past its checkpoint.
   */
  get(name: string, key: string, options?: { readonly atLeast?: number; readonly timeoutMs?: number }): Promise<ProjectionRead>;

  /** Values in key order after `after`, at most `limit`, with the checkpoint they include. */
  entries(name: string, after: string | undefined, limit: number): Promise<ProjectionPage>;

  /**
   * Calls `listener` with each committed change of the projection (of one key when `key` is
   * given), in commit order, from now on; returns the function that stops it. A change is sent
   * once its commit is durable.
   */
  watch(name: string, key: string | undefined, listener: (change: ProjectionChangeNotice) => void): () => void;

  /** Starts the projection over from the start of its selector; resolves once its state was reset. */
  rebuild(name: string): Promise<void>;
}

export interface ProjectionSummary {
  readonly name: string;
  /** The selector: a stream, `prefix*` or `$all`. */
  readonly stream: string;
  readonly keyed: boolean;
  readonly status: 'running' | 'failed' | 'rebuilding';
  /** The error that stopped it, when failed. */
  readonly error?: string;
  readonly checkpoint: number;
  /** The selector's head now, and how far the projection is behind it. */
  readonly head: number;
  readonly lag: number;
}

export interface ProjectionRead {
  readonly name: string;
  readonly key: string;
  /** Absent when the key has no value. */
  readonly value?: ProjectionValue;
  readonly found: boolean;
  readonly checkpoint: number;
}

export interface ProjectionPage {
  readonly name: string;
  readonly entries: readonly { readonly key: string; readonly value: ProjectionValue }[];
  /** True when more entries follow the last one. */
  readonly more: boolean;
  readonly checkpoint: number;
}

export interface ProjectionChangeNotice {
  readonly name: string;
  readonly key: string;
  /** Absent when the key was removed. */
  readonly value?: ProjectionValue;
  /** The checkpoint of the commit that made the change. */
  readonly checkpoint: number;
}
