import type { StoredEvent, StreamSummary } from '../../../protocol/frames.js';
import { TauonError } from '../../../protocol/errors.js';
import type { AppendHooks, AppendOutcome, AppendRequest, Direction, EventStore } from '../event-store.js';
import { applyAppendCall, type AppendTarget, type StreamHead } from '../append-planner.js';
import { CONDITION_SCAN_LIMIT, checkCondition, firstAfter } from '../append-condition.js';
import { CommitListeners } from '../commit-listeners.js';
import { compareNames } from '../name-order.js';
import { StoreClock } from '../store-clock.js';
import { newStoreId } from '../store-identity.js';
import { TurnBudget } from '../../short-turns.js';
import { MemoryGroupStore } from './memory-groups.js';
import { MemoryProjectionStore } from './memory-projections.js';

/** One stream of the memory store. */
interface MemoryStream {
  /** Its events; the event with seq n is at index n - 1. */
  readonly events: StoredEvent[];
  tx: number;
  /** The newest event of each key. */
  readonly newestByKey: Map<string, StoredEvent>;
}

/**
 * An EventStore in plain arrays and maps, for tests and examples: nothing survives the process.
 * Appends apply synchronously when `append` is called, so concurrent calls commit in call order.
 * Stored events are deep copies of what was appended, frozen so that no reader can change them.
 *
 * @example
 * const store = new MemoryStore();
 * await store.append([{ stream: 'orders', events: [{ id: 'e1', type: 'placed' }], expected: 'any', dedupe: false }]);
 */
export class MemoryStore implements EventStore {
  readonly kind = 'memory';
  /** One per instance: nothing outlives it, so each new MemoryStore is another store. */
  readonly id = newStoreId();
  /** Each call is decided before `append` returns. */
  readonly decidesAppendsInOrder = true;
  /** Conditions are checked when a call is decided, synchronously, against the index by type. */
  readonly checksAppendConditions = true;
  /** Consumer groups' coordination state, in memory as the events are. */
  readonly groups = new MemoryGroupStore();
  /** Server-side projections' records and states, in memory as the events are. */
  readonly projections = new MemoryProjectionStore();

  /** Every event; the event at position p is at index p - 1. */
  private readonly log: StoredEvent[] = [];
  private readonly streams = new Map<string, MemoryStream>();
  private readonly ids = new Map<string, StoredEvent>();
  /** Every event of each type, in position order: what append conditions are checked against. */
  private readonly byType = new Map<string, StoredEvent[]>();
  private readonly clock = new StoreClock();
  private readonly listeners = new CommitListeners();
  private closed = false;

  /** The planner's view of this store; writes land in the maps at once. */
  private readonly target: AppendTarget = {
    streamHead: (stream): StreamHead | undefined => {
      const entry = this.streams.get(stream);
      return entry === undefined ? undefined : { head: entry.events.length, tx: entry.tx };
    },
    eventById: (id) => this.ids.get(id),
    newestOfKey: (stream, key) => this.streams.get(stream)?.newestByKey.get(key),
    write: (stream, events) => this.write(stream, events),
    conditionVerdict: (condition) =>
      checkCondition(condition, (type) => {
        const events = this.byType.get(type) ?? [];
        const start = firstAfter(events, condition.after);
        return events.slice(start, start + CONDITION_WINDOW);
      }),
  };

  append(requests: readonly AppendRequest[], hooks?: AppendHooks): Promise<AppendOutcome[]> {
    try {
      this.assertOpen();
      // Copy the input first: a copy that fails (data that cannot be cloned) fails the call
      // before anything is written.
      const copies = requests.map(copyRequest);
      const result = applyAppendCall(copies, this.target, this.clock, this.log.length + 1, hooks);
      this.listeners.notify(result.written);
      return Promise.resolve(result.outcomes);
    } catch (error) {
      return Promise.reject(asStoreError(error));
    }
  }

  readStream(stream: string, from: number, direction: Direction, limit: number): Promise<StoredEvent[]> {
    return this.run(() => {
      const events = this.streams.get(stream)?.events ?? [];
      return sliceFrom(events, from, direction, limit);
    });
  }

  /** A pattern walks the log in short turns (see short-turns.ts): one that matches nothing walks all of it. */
  readAll(from: number, direction: Direction, limit: number, prefix?: string): Promise<StoredEvent[]> {
    if (prefix === undefined || prefix === '') return this.run(() => sliceFrom(this.log, from, direction, limit));
    return this.runInTurns(async () => {
      const result: StoredEvent[] = [];
      if (limit <= 0) return result;
      const step = direction === 'forward' ? 1 : -1;
      const start = direction === 'forward' ? Math.max(from, 1) - 1 : Math.min(from, this.log.length) - 1;
      await this.walkLog(start, step, (event) => {
        if (event.stream.startsWith(prefix)) result.push(event);
        return result.length < limit;
      });
      return result;
    });
  }

  findEvent(id: string): Promise<StoredEvent | undefined> {
    return this.run(() => this.ids.get(id));
  }

  findByTime(time: number, stream?: string, prefix?: string): Promise<StoredEvent | undefined> {
    if (stream !== undefined || prefix === undefined || prefix === '') {
      return this.run(() => {
        const events = stream === undefined ? this.log : (this.streams.get(stream)?.events ?? []);
        return events[firstRecordedAtOrAfter(events, time)];
      });
    }
    // The first one under the prefix from there, in short turns.
    return this.runInTurns(async () => {
      let found: StoredEvent | undefined;
      await this.walkLog(firstRecordedAtOrAfter(this.log, time), 1, (event) => {
        if (event.stream.startsWith(prefix)) found = event;
        return found === undefined;
      });
      return found;
    });
  }

  streamInfo(stream: string): Promise<StreamSummary | undefined> {
    return this.run(() => {
      const entry = this.streams.get(stream);
      return entry === undefined ? undefined : summaryOf(stream, entry);
    });
  }

  listStreams(prefix: string, after: string | undefined, limit: number): Promise<StreamSummary[]> {
    return this.run(() => {
      const names: string[] = [];
      for (const name of this.streams.keys()) {
        if (name.startsWith(prefix) && (after === undefined || compareNames(name, after) > 0)) names.push(name);
      }
      names.sort(compareNames);
      return names.slice(0, Math.max(limit, 0)).map((name) => summaryOf(name, this.streams.get(name)!));
    });
  }

  surface(stream: string): Promise<StoredEvent[]> {
    return this.run(() => {
      const entry = this.streams.get(stream);
      if (entry === undefined) return [];
      return [...entry.newestByKey.values()].sort((a, b) => a.seq - b.seq);
    });
  }

  headPosition(): Promise<number> {
    return this.run(() => this.log.length);
  }

  onCommit(listener: (events: readonly StoredEvent[]) => void): () => void {
    return this.listeners.add(listener);
  }

  close(): Promise<void> {
    this.closed = true;
    this.groups.close();
    this.projections.close();
    this.listeners.clear();
    return Promise.resolve();
  }

  private write(stream: string, events: readonly StoredEvent[]): void {
    let entry = this.streams.get(stream);
    if (entry === undefined) {
      entry = { events: [], tx: 0, newestByKey: new Map() };
      this.streams.set(stream, entry);
    }
    for (const event of events) {
      Object.freeze(event);
      this.log.push(event);
      entry.events.push(event);
      this.ids.set(event.id, event);
      if (event.key !== undefined) entry.newestByKey.set(event.key, event);
      let ofType = this.byType.get(event.type);
      if (ofType === undefined) this.byType.set(event.type, (ofType = []));
      ofType.push(event);
    }
    entry.tx = events[events.length - 1]!.tx;
  }

  /** Runs a read on an open store, as a promise. */
  private run<T>(read: () => T): Promise<T> {
    try {
      this.assertOpen();
      return Promise.resolve(read());
    } catch (error) {
      return Promise.reject(asStoreError(error));
    }
  }

  /** Runs a read that may pause between turns on an open store. */
  private async runInTurns<T>(read: () => Promise<T>): Promise<T> {
    try {
      this.assertOpen();
      return await read();
    } catch (error) {
      throw asStoreError(error);
    }
  }

  /**
   * Visits the log from index `start` by `step` (1 forward, -1 backward) until `visit` answers
   * false or an end, in short turns. The log only grows, so the index stays right across pauses.
   */
  private async walkLog(start: number, step: 1 | -1, visit: (event: StoredEvent) => boolean): Promise<void> {
    const turns = new TurnBudget();
    for (let i = start; i >= 0 && i < this.log.length; i += step) {
      if (!visit(this.log[i]!)) return;
      if (turns.count()) {
        await turns.pause();
        this.assertOpen();
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new TauonError('internal', 'the memory store is closed');
  }
}

/** Enough of a type's events for a check: the scan limit and one more, which says that there are more. */
const CONDITION_WINDOW = CONDITION_SCAN_LIMIT + 1;

/** A deep copy of a request's events, with their data and meta frozen. */
function copyRequest(request: AppendRequest): AppendRequest {
  return {
    stream: request.stream,
    expected: request.expected,
    dedupe: request.dedupe,
    condition: request.condition,
    events: request.events.map((event) => {
      const copy = { ...event };
      if (copy.data !== undefined) copy.data = deepFreeze(structuredClone(copy.data));
      if (copy.meta !== undefined) copy.meta = Object.freeze({ ...copy.meta });
      return copy;
    }),
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value) && !ArrayBuffer.isView(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Up to `limit` elements of `events` (ordered by a 1-based position that equals index + 1), from
 * `from` inclusive in the given direction; backward from beyond the end starts at the end.
 */
function sliceFrom(events: readonly StoredEvent[], from: number, direction: Direction, limit: number): StoredEvent[] {
  if (limit <= 0) return [];
  if (direction === 'forward') {
    const start = Math.max(from, 1) - 1;
    return events.slice(start, start + limit);
  }
  const end = Math.min(from, events.length);
  if (end <= 0) return [];
  return events.slice(Math.max(end - limit, 0), end).reverse();
}

/** The index of the first event recorded at or after `time` (events.length when none). */
function firstRecordedAtOrAfter(events: readonly StoredEvent[], time: number): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (events[middle]!.recorded < time) low = middle + 1;
    else high = middle;
  }
  return low;
}

function summaryOf(stream: string, entry: MemoryStream): StreamSummary {
  const last = entry.events[entry.events.length - 1]!;
  return {
    stream,
    head: last.seq,
    count: entry.events.length,
    tx: entry.tx,
    lastPos: last.pos,
    lastRecorded: last.recorded,
  };
}

function asStoreError(error: unknown): TauonError {
  if (error instanceof TauonError) return error;
  return new TauonError('internal', `memory store: ${String(error)}`, { cause: error });
}
