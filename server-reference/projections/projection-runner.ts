import { TauonError } from '../../protocol/errors.js';
import type { StoredEvent } from '../../protocol/frames.js';
import { compileFilter, type EventPredicate } from '../event-filter.js';
import { headOf, parseSelector, positionIn, readSelected, selects, type Selector } from '../selector.js';
import { TurnBudget } from '../short-turns.js';
import type { EventStore } from '../stores/event-store.js';
import { ChangeWatchers } from './change-watchers.js';
import { CheckpointWaiters } from './checkpoint-waiters.js';
import { fingerprintOf, MAX_PROJECTION_VALUE_BYTES, type ProjectionDefinition } from './projection-definition.js';
import type { ProjectionChange, ProjectionRecord, ProjectionStore, ProjectionValue } from './projection-store.js';
import { freezeState, jsonBytes, plainValueProblem } from './projection-value.js';

/** Events read from the store at once. */
export const PAGE_EVENTS = 1_000;
/** Events folded between two commits at most while catching up: one commit per this many. */
export const COMMIT_EVENTS = 10_000;
/** The longest a catch-up folds without a commit, in ms: reads waiting on it, and a crash, lose no more. */
export const COMMIT_INTERVAL_MS = 250;
/** The longest error message kept in a record, in characters. */
const MAX_ERROR_LENGTH = 2_000;
/** Keys changed before a commit at most: what a projection holds uncommitted is bounded by it. */
export const MAX_PENDING_KEYS = 10_000;
/** Committed values kept in memory for the next events of their key (the first in, the first out). */
export const MAX_CACHED_KEYS = 10_000;
/** After a failure of the store (not of the projection), the first wait before trying again, doubling to the last. */
const RETRY_FIRST_MS = 100;
const RETRY_LAST_MS = 10_000;

/** What a runner needs of its server. */
export interface RunnerHost {
  readonly store: EventStore;
  readonly projections: ProjectionStore;
  /** Reports a failure of the store or of a listener (logged; the projection goes on). */
  report(error: unknown, context: string): void;
}

/** Why a fold stopped: the projection failed at this event (the events before it are in the state). */
class ProjectionFailure extends Error {
  constructor(message: string) {
    super(message);
  }
}

/**
 * One projection on one server: loads its record, folds the selector's events from the
 * checkpoint in pages and short turns, commits the changed states with the new checkpoint
 * atomically (compare-and-set on the record's revision), follows new commits, and tells waiting
 * reads and watchers. A projection that fails stops with its error in the record; the server and
 * the other projections go on.
 */
export class ProjectionRunner {
  readonly name: string;
  /** The selector as the definition writes it. */
  readonly stream: string;
  readonly selector: Selector;
  readonly keyed: boolean;
  readonly waiters: CheckpointWaiters;
  readonly watchers: ChangeWatchers;
  /** The definition's fingerprint (ProjectionRecord.definition). */
  readonly fingerprint: string;
  private readonly predicate: EventPredicate;

  private status: 'running' | 'failed' | 'rebuilding' = 'running';
  private failure: string | undefined;
  /** The checkpoint of the last commit this server knows of. */
  private committedTo = 0;
  /** The record's revision as last seen (undefined: no record). */
  private revision: number | undefined;
  /** The last position folded (committed or pending). */
  private foldedTo = 0;
  /** States changed since the last commit (`undefined`: the key is removed). */
  private readonly pending = new Map<string, ProjectionValue>();
  private pendingEvents = 0;
  /** When the last commit was written (performance.now). */
  private lastCommitAt = performance.now();
  /** Committed states recently used. */
  private readonly cache = new Map<string, ProjectionValue>();
  /** While rebuilding: the selector's head when the rebuild began. */
  private rebuildTarget = 0;

  /** Bumped by rebuild and close: a loop of an older generation stops at its next step. */
  private generation = 0;
  private loop: Promise<void> = Promise.resolve();
  private woken = false;
  private wake: (() => void) | undefined;
  private closed = false;
  /** Rebuilds one after another. */
  private rebuilding: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: RunnerHost,
    private readonly definition: ProjectionDefinition,
  ) {
    this.name = definition.name;
    this.stream = definition.stream;
    this.selector = parseSelector(definition.stream);
    this.keyed = definition.key !== undefined;
    this.predicate = compileFilter(definition.filter);
    this.fingerprint = fingerprintOf(definition);
    this.waiters = new CheckpointWaiters(this.name);
    this.watchers = new ChangeWatchers(this.name, (error) => host.report(error, `a watcher of projection "${this.name}"`));
  }

  /** Starts the projection from its stored record. */
  start(): void {
    this.loop = this.run(this.generation);
  }

  get checkpoint(): number {
    return this.committedTo;
  }

  get state(): { readonly status: 'running' | 'failed' | 'rebuilding'; readonly error: string | undefined } {
    return { status: this.status, error: this.failure };
  }

  /** A commit of the store: the projection reads on when it wrote events of its selector. */
  committed(events: readonly StoredEvent[]): void {
    if (this.wake === undefined && this.woken) return;
    for (const event of events) {
      if (selects(this.selector, event)) {
        this.poke();
        return;
      }
    }
  }

  /** Resolves once the checkpoint is at or past `atLeast` (see ProjectionService.get). */
  async reached(atLeast: number, timeoutMs: number): Promise<void> {
    if (this.committedTo >= atLeast) return;
    if (this.status === 'failed') throw this.failedError(atLeast);
    await this.waiters.wait(atLeast, timeoutMs, () => this.committedTo);
  }

  /** The error of a read that asks for more than a failed projection has. */
  failedError(atLeast: number): TauonError {
    return new TauonError('projection-failed', `projection "${this.name}" failed at checkpoint ${this.committedTo}, before position ${atLeast}: ${this.failure ?? 'unknown error'}`, {
      details: { checkpoint: this.committedTo, error: this.failure ?? null },
    });
  }

  /** Starts over from the start of the selector; resolves once the stored state was reset. */
  rebuild(): Promise<void> {
    const done = this.rebuilding.then(() => this.rebuildNow());
    this.rebuilding = done.catch(() => undefined);
    return done;
  }

  private async rebuildNow(): Promise<void> {
    if (this.closed) throw new TauonError('overloaded', 'the server is closing');
    this.generation += 1;
    this.poke();
    await this.loop;
    await this.host.projections.reset(this.name);
    this.forget();
    this.committedTo = 0;
    this.revision = undefined;
    this.failure = undefined;
    this.status = 'rebuilding';
    this.rebuildTarget = await headOf(this.host.store, this.selector);
    if (this.closed) return;
    this.loop = this.run(this.generation);
  }

  /** Stops the projection (the server closes); what is committed stays. */
  async close(): Promise<void> {
    this.closed = true;
    this.generation += 1;
    this.poke();
    await this.loop;
    this.waiters.failBeyond(-1, () => new TauonError('overloaded', 'the server is closing'));
    this.watchers.clear();
  }

  private poke(): void {
    this.woken = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Waits for a commit of the selector (or a rebuild, or close), at most `ms` when given. */
  private async sleep(ms?: number): Promise<void> {
    if (this.woken) return;
    await new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => this.poke(), ms);
      this.wake = () => {
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
    });
  }

  private async run(generation: number): Promise<void> {
    let retryMs = RETRY_FIRST_MS;
    while (generation === this.generation) {
      try {
        await this.load(generation);
        while (generation === this.generation && this.status !== 'failed') {
          this.woken = false;
          const page = await readSelected(this.host.store, this.selector, this.foldedTo + 1, 'forward', PAGE_EVENTS);
          if (generation !== this.generation) return;
          await this.fold(page, generation);
          // The last page of what there is (or a catch-up that has gone long without one): commit it, then wait for more.
          if (page.length < PAGE_EVENTS || performance.now() - this.lastCommitAt >= COMMIT_INTERVAL_MS) {
            await this.commit(generation);
            if (generation === this.generation && this.foldedTo === this.committedTo && page.length === 0) await this.sleep();
          }
          retryMs = RETRY_FIRST_MS;
        }
        if (this.status === 'failed') return;
      } catch (error) {
        if (generation !== this.generation) return;
        let storeError = error;
        if (error instanceof ProjectionFailure) {
          try {
            // Recorded, it stops here; when another server advanced it first, go on from what that one wrote.
            if (await this.fail(error.message, generation)) return;
            continue;
          } catch (failed) {
            storeError = failed;
          }
        }
        // The store failed (not the projection): say so, wait, and go on from the last commit.
        this.host.report(storeError, `projection "${this.name}"`);
        this.woken = false;
        await this.sleep(retryMs);
        retryMs = Math.min(retryMs * 2, RETRY_LAST_MS);
      }
    }
  }

  /** Takes the stored record (again): where to go on from, and whether the state is this definition's. */
  private async load(generation: number): Promise<void> {
    let record = await this.host.projections.record(this.name);
    if (generation !== this.generation) return;
    if (record !== undefined && record.definition !== this.fingerprint && this.definition.onChange === 'rebuild') {
      // Before anything of the old state is taken for this definition's.
      await this.host.projections.reset(this.name);
      this.status = 'rebuilding';
      this.rebuildTarget = await headOf(this.host.store, this.selector);
      if (generation !== this.generation) return;
      record = undefined;
    }
    this.revision = record?.revision;
    this.committedTo = record?.checkpoint ?? 0;
    this.forget();
    if (this.status === 'rebuilding' && this.committedTo >= this.rebuildTarget) this.status = 'running';
    if (record === undefined) return;
    if (record.definition !== this.fingerprint) {
      this.stopWith(
        `the stored state of projection "${this.name}" was made by another definition (another selector, filter, initial state, evolve or key function); ` +
          `rebuild it (POST /projections/${encodeURIComponent(this.name)}/rebuild), or set onChange: 'rebuild'`,
      );
      return;
    }
    if (record.status === 'failed') this.stopWith(record.error ?? 'failed');
    else this.waiters.reached(this.committedTo);
  }

  private stopWith(error: string): void {
    this.status = 'failed';
    this.failure = error;
    this.waiters.failBeyond(this.committedTo, (atLeast) => this.failedError(atLeast));
  }

  /** Folds a page into the pending states, in short turns, committing as the bounds say. */
  private async fold(page: readonly StoredEvent[], generation: number): Promise<void> {
    const turns = new TurnBudget();
    for (const event of page) {
      if (this.predicate === undefined || this.predicate(event)) {
        const key = this.keyOf(event);
        if (key !== undefined) {
          const state = this.pending.has(key) ? this.pending.get(key) : this.cache.get(key) ?? (await this.storedValue(key));
          if (generation !== this.generation) return;
          this.pending.set(key, this.evolve(state === undefined ? freezeState(structuredClone(this.definition.initial)) : state, event));
        }
      }
      this.foldedTo = positionIn(this.selector, event);
      this.pendingEvents += 1;
      if (this.pending.size >= MAX_PENDING_KEYS || this.pendingEvents >= COMMIT_EVENTS) {
        await this.commit(generation);
        if (generation !== this.generation) return;
      }
      if (turns.count()) {
        if (performance.now() - this.lastCommitAt >= COMMIT_INTERVAL_MS) {
          await this.commit(generation);
          if (generation !== this.generation) return;
        }
        await turns.pause();
        if (generation !== this.generation) return;
      }
    }
  }

  private keyOf(event: StoredEvent): string | undefined {
    const keyOf = this.definition.key;
    if (keyOf === undefined) return '';
    let key: unknown;
    try {
      key = keyOf(event);
    } catch (error) {
      throw new ProjectionFailure(`its key function threw at ${where(event)}: ${messageOf(error)}`);
    }
    if (key === undefined) return undefined;
    if (typeof key !== 'string' || key.length < 1 || key.length > 256) {
      throw new ProjectionFailure(`its key function gave ${describe(key)} at ${where(event)}, not a string of 1 to 256 characters or undefined`);
    }
    return key;
  }

  private evolve(state: ProjectionValue, event: StoredEvent): ProjectionValue {
    let next: unknown;
    try {
      next = this.definition.evolve(state, event);
    } catch (error) {
      throw new ProjectionFailure(`evolve threw at ${where(event)}: ${messageOf(error)}`);
    }
    return next === undefined ? undefined : freezeState(next);
  }

  private async storedValue(key: string): Promise<ProjectionValue> {
    const value = await this.host.projections.get(this.name, key);
    if (value === undefined) return undefined;
    this.remember(key, freezeState(value));
    return value;
  }

  private remember(key: string, value: ProjectionValue): void {
    this.cache.delete(key);
    if (value === undefined) return;
    this.cache.set(key, value);
    if (this.cache.size > MAX_CACHED_KEYS) this.cache.delete(this.cache.keys().next().value!);
  }

  /** The changes pending, checked: plain data, no larger than the limit. */
  private checkedChanges(): ProjectionChange[] {
    const changes: ProjectionChange[] = [];
    for (const [key, value] of this.pending) {
      if (value !== undefined) {
        const problem = plainValueProblem(value);
        const label = this.keyed ? `the state of key ${JSON.stringify(key)}` : 'the state';
        if (problem !== undefined) throw new ProjectionFailure(`evolve made ${label} something a store cannot keep: ${problem}`);
        const bytes = jsonBytes(value);
        if (bytes > MAX_PROJECTION_VALUE_BYTES) {
          throw new ProjectionFailure(`evolve made ${label} ${bytes} bytes of JSON, more than the ${MAX_PROJECTION_VALUE_BYTES} a state may have`);
        }
      }
      changes.push({ key, value });
    }
    return changes;
  }

  /** Writes the pending changes with the new checkpoint; a lost compare-and-set reloads. */
  private async commit(generation: number): Promise<void> {
    if (this.foldedTo === this.committedTo && this.pending.size === 0) return;
    const changes = this.checkedChanges();
    const record = this.recordOf(this.foldedTo, 'running', null);
    const written = await this.host.projections.commit(this.name, changes, record, this.revision);
    if (generation !== this.generation) return;
    if (!written) {
      // Another server advanced it first: go on from what it wrote.
      await this.load(generation);
      return;
    }
    this.landed(changes, record);
    if (this.status === 'rebuilding' && this.committedTo >= this.rebuildTarget) this.status = 'running';
  }

  private landed(changes: readonly ProjectionChange[], record: ProjectionRecord): void {
    this.lastCommitAt = performance.now();
    this.revision = record.revision;
    this.committedTo = record.checkpoint;
    for (const change of changes) this.remember(change.key, change.value);
    this.pending.clear();
    this.pendingEvents = 0;
    this.watchers.committed(changes, this.committedTo);
    this.waiters.reached(this.committedTo);
  }

  /**
   * Records the failure: the states of the events before the failing one with their checkpoint
   * when they are fit to keep, else only the failure at the last commit.
   */
  private async fail(message: string, generation: number): Promise<boolean> {
    let changes: ProjectionChange[];
    let error = message.length > MAX_ERROR_LENGTH ? `${message.slice(0, MAX_ERROR_LENGTH)}...` : message;
    try {
      changes = this.checkedChanges();
    } catch (unfit) {
      changes = [];
      error = unfit instanceof ProjectionFailure ? unfit.message : messageOf(unfit);
      this.foldedTo = this.committedTo;
    }
    const record = this.recordOf(this.foldedTo, 'failed', error);
    const written = await this.host.projections.commit(this.name, changes, record, this.revision);
    if (generation !== this.generation) return true;
    if (!written) return false;
    this.landed(changes, record);
    this.stopWith(error);
    return true;
  }

  private recordOf(checkpoint: number, status: 'running' | 'failed', error: string | null): ProjectionRecord {
    return { v: 1, revision: (this.revision ?? 0) + 1, checkpoint, definition: this.fingerprint, status, error, updated: Date.now() };
  }

  /** Drops what is folded but not committed, and the cached states. */
  private forget(): void {
    this.pending.clear();
    this.pendingEvents = 0;
    this.cache.clear();
    this.foldedTo = this.committedTo;
  }
}

function where(event: StoredEvent): string {
  return `${event.stream} seq ${event.seq} (pos ${event.pos})`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `a string of ${value.length} characters` : value === null ? 'null' : typeof value;
}
