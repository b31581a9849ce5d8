import { TauonError } from '../../protocol/errors.js';
import type { InternalErrors } from '../internal-errors.js';
import { headOf } from '../selector.js';
import type { EventStore } from '../stores/event-store.js';
import { checkDefinitions, type ProjectionDefinition } from './projection-definition.js';
import { ProjectionRunner } from './projection-runner.js';
import type { ProjectionChangeNotice, ProjectionPage, ProjectionRead, ProjectionService, ProjectionSummary } from './projection-service.js';
import type { ProjectionStore } from './projection-store.js';

/** How long a read with `atLeast` waits when it names no timeout, in ms. */
export const DEFAULT_AT_LEAST_TIMEOUT_MS = 5_000;
/** The longest a read with `atLeast` may wait, in ms (a longer timeout is refused `bad-frame`). */
export const MAX_AT_LEAST_TIMEOUT_MS = 60_000;
/** Reads of a state that a commit may overtake before one is taken as a snapshot. */
const SNAPSHOT_ATTEMPTS = 10;
/** The most entries one `entries` page holds. */
export const MAX_ENTRIES_LIMIT = 1_000;

/**
 * The server-side projections of one server (issue 18, SPEC 18): one `ProjectionRunner`
 * each, started with the server, and the reads, waits, watches and rebuilds of ProjectionService
 * answered from the store's ProjectionStore. Servers in front of one store may run the same
 * projections: the store's compare-and-set keeps one history of each.
 */
export class ProjectionsEngine implements ProjectionService {
  private readonly runners = new Map<string, ProjectionRunner>();
  private readonly stopCommits: () => void;
  private closed = false;

  /** @throws ProjectionDefinitionError for a definition that is not one, or two of one name. */
  constructor(
    readonly store: EventStore,
    readonly projections: ProjectionStore,
    definitions: readonly ProjectionDefinition[],
    errors: InternalErrors,
  ) {
    const host = {
      store,
      projections,
      report: (error: unknown, context: string) => {
        // Logged whatever its code: a store's `too-large` or `overloaded` here is nobody's request to answer.
        errors.expose(error instanceof TauonError && error.code !== 'internal' ? new Error(`${error.code}: ${error.message}`, { cause: error }) : error, context);
      },
    };
    const checked = checkDefinitions(definitions).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const definition of checked) this.runners.set(definition.name, new ProjectionRunner(host, definition));
    this.stopCommits = store.onCommit((events) => {
      for (const runner of this.runners.values()) runner.committed(events);
    });
    for (const runner of this.runners.values()) runner.start();
  }

  /** The names of the projections this server runs, in name order. */
  get names(): string[] {
    return [...this.runners.keys()];
  }

  /** The selector of a projection (for authorization). @throws TauonError `not-found` */
  selectorOf(name: string): string {
    return this.runnerOf(name).stream;
  }

  async list(): Promise<ProjectionSummary[]> {
    return Promise.all([...this.runners.keys()].map((name) => this.summary(name)));
  }

  async summary(name: string): Promise<ProjectionSummary> {
    const runner = this.runnerOf(name);
    const [record, head] = await Promise.all([this.projections.record(name), headOf(this.store, runner.selector)]);
    const checkpoint = Math.max(runner.checkpoint, record?.checkpoint ?? 0);
    const { status, error } = runner.state;
    return {
      name,
      stream: runner.stream,
      keyed: runner.keyed,
      status,
      ...(status === 'failed' && error !== undefined ? { error } : {}),
      checkpoint,
      head,
      lag: Math.max(0, head - checkpoint),
    };
  }

  async get(name: string, key: string, options: { readonly atLeast?: number; readonly timeoutMs?: number } = {}): Promise<ProjectionRead> {
    this.runnerOf(name);
    if (options.atLeast !== undefined) await this.reached(name, options.atLeast, options.timeoutMs);
    const { read: value, checkpoint } = await this.snapshot(name, () => this.projections.get(name, key));
    return value === undefined ? { name, key, found: false, checkpoint } : { name, key, value, found: true, checkpoint };
  }

  /**
   * Resolves once the projection's checkpoint is at or past `atLeast`, waiting up to `timeoutMs`
   * (DEFAULT_AT_LEAST_TIMEOUT_MS when absent). The wait of {@link get}, for a read of many keys.
   * @throws TauonError `timeout` (details `{checkpoint}`), `projection-failed`, `bad-frame` for a bad position or timeout
   */
  async reached(name: string, atLeast: number, timeoutMs?: number): Promise<void> {
    const runner = this.runnerOf(name);
    if (!Number.isSafeInteger(atLeast) || atLeast < 0) throw new TauonError('bad-frame', `atLeast must be a position (an integer of 0 or more), not ${atLeast}`);
    const wait = timeoutOf(timeoutMs);
    // Another server of the store may have committed it already (with this definition).
    const stored = await this.projections.record(name);
    const storedTo = stored?.definition === runner.fingerprint && runner.state.status !== 'rebuilding' ? stored.checkpoint : 0;
    if (storedTo < atLeast) await runner.reached(atLeast, wait);
  }

  async entries(name: string, after: string | undefined, limit: number): Promise<ProjectionPage> {
    this.runnerOf(name);
    if (!Number.isSafeInteger(limit) || limit < 1) throw new TauonError('bad-frame', `limit must be a positive integer, not ${limit}`);
    const taken = Math.min(limit, MAX_ENTRIES_LIMIT);
    const { read: found, checkpoint } = await this.snapshot(name, () => this.projections.entries(name, after, taken + 1));
    return { name, entries: found.slice(0, taken), more: found.length > taken, checkpoint };
  }

  /**
   * `read` of the projection's values with the checkpoint they are at: one snapshot (SPEC 18),
   * taken as the values read between two looks at the record that find the same revision (a
   * commit in between is read again).
   * @throws TauonError `overloaded` when commits kept coming in between
   */
  private async snapshot<T>(name: string, read: () => Promise<T>): Promise<{ read: T; checkpoint: number }> {
    let before = await this.projections.record(name);
    for (let attempt = 0; attempt < SNAPSHOT_ATTEMPTS; attempt += 1) {
      const values = await read();
      const after = await this.projections.record(name);
      if (after?.revision === before?.revision) return { read: values, checkpoint: after?.checkpoint ?? 0 };
      before = after;
    }
    throw new TauonError('overloaded', `projection "${name}" changed during each of ${SNAPSHOT_ATTEMPTS} reads of its state; try again`);
  }

  watch(name: string, key: string | undefined, listener: (change: ProjectionChangeNotice) => void): () => void {
    if (this.closed) throw new TauonError('overloaded', 'the server is closing');
    return this.runnerOf(name).watchers.add(key, listener);
  }

  async rebuild(name: string): Promise<void> {
    if (this.closed) throw new TauonError('overloaded', 'the server is closing');
    await this.runnerOf(name).rebuild();
  }

  /** Stops every projection (the server closes); the store must stay open until this resolves. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopCommits();
    await Promise.all([...this.runners.values()].map((runner) => runner.close()));
  }

  private runnerOf(name: string): ProjectionRunner {
    const runner = this.runners.get(name);
    if (runner === undefined) throw new TauonError('not-found', `this server runs no projection "${name}"`, { details: { name } });
    return runner;
  }

}

/** The wait of a read with `atLeast`: the default when absent. @throws TauonError `bad-frame` when out of range. */
function timeoutOf(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return DEFAULT_AT_LEAST_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_AT_LEAST_TIMEOUT_MS) {
    throw new TauonError('bad-frame', `timeoutMs must be an integer of 0 to ${MAX_AT_LEAST_TIMEOUT_MS}, not ${timeoutMs}`);
  }
  return timeoutMs;
}
