import type { Database, DatabaseOptions, Key, RootDatabase } from 'lmdb';
import { MAX_NAME_LENGTH, type StoredEvent, type StreamSummary } from '../../../protocol/frames.js';
import { TauonError } from '../../../protocol/errors.js';
import type { AppendHooks, AppendOutcome, AppendRequest, Direction, EncodedEvents, EventStore } from '../event-store.js';
import { EncodedPage } from '../encoded-page.js';
import { applyAppendCall, type AppendCallResult, type AppendTarget } from '../append-planner.js';
import { CommitListeners } from '../commit-listeners.js';
import { EventEncoder } from './event-encoder.js';
import { migrateStreamIndex, StreamExtents } from './extents.js';
import { TurnCommits } from './turn-commit.js';
import { forgetTypes, indexTypesOnce, TypeIndex } from './type-index.js';
import { compareNames } from '../name-order.js';
import { StoreClock } from '../store-clock.js';
import { importDriver } from '../../../transports/optional-driver.js';
import { prepareDataDirectory } from './data-directory.js';
import { visitRangeInTurns, type TurnRange } from './range-in-turns.js';
import { TurnBudget } from '../../short-turns.js';
import { isStoreId, newStoreId } from '../store-identity.js';
import { LmdbGroupStore, type LmdbGroupDatabases } from './lmdb-group-store.js';
import type { GroupStore } from '../../groups/group-store.js';
import { LmdbProjectionStore, type LmdbProjectionDatabases } from './lmdb-projection-store.js';
import type { ProjectionStore } from '../../projections/projection-store.js';

/** What the `heads` database keeps per stream (the stream name is the key). */
interface HeadRecord {
  /** Seq of the last event; also the stream's event count, as seqs are dense from 1. */
  readonly head: number;
  readonly tx: number;
  readonly lastPos: number;
  readonly lastRecorded: number;
}

/** Options of {@link LmdbStore.open}. */
export interface LmdbStoreOptions {
  /**
   * Flush every commit to disk before acknowledging it. Turning this off trades the last
   * commits before a machine crash for speed (LMDB's `noSync`); a process crash loses nothing.
   * @default true
   */
  readonly sync?: boolean;
  /**
   * Keep the `types` index and check append conditions (SPEC 5.8.1; the server then announces
   * `"append-condition"`). Off, each event written costs one index write less (measured on the
   * raw store: about 215k against 140k events/s in commits of 1000), the server refuses appends
   * with a condition (`unsupported`), and the index is emptied; the next open with it on
   * indexes every stored event again.
   * @default true
   */
  readonly appendConditions?: boolean;
}

/**
 * Values as plain msgpack maps, exactly the bytes the wire's msgpack codec makes of the same
 * event (no msgpackr records, undefined fields left out), so that a stored event can later be
 * sent without re-encoding. (skipValues is a msgpackr option its type declarations do not list.)
 */
const VALUE_ENCODER = { useRecords: false, variableMapSize: true, skipValues: [undefined] };

/**
 * The `events` table's values as the bytes stored, for the encoded reads. lmdb-js hands a
 * decoder its reused read buffer (valid until the next read, its size in `length`); the reads
 * copy it into their page before reading on. Reads only: nothing is written through it.
 */
const RAW_BYTES = {
  encode: (value: Uint8Array): Uint8Array => value,
  decode: (bytes: Uint8Array): Uint8Array => bytes,
};

/**
 * Positions only grow, so an event goes at the end of the `events` tree: LMDB's MDB_APPEND
 * skips the search for its place and fills pages instead of splitting them in half.
 */
const APPEND = { append: true };

/** Larger than any seq or position a store will hand out; the exclusive end of key ranges. */
const BEYOND_LAST = Number.MAX_SAFE_INTEGER;

/**
 * Ids of printable ASCII only: their keys in the `ids` database are their bytes unchanged, so
 * for them LMDB's key order and JavaScript's string order agree.
 */
const PLAIN_ID = /^[\x20-\x7e]+$/;
/** At least every plain id (ids have at most MAX_NAME_LENGTH characters). */
const ABOVE_EVERY_PLAIN_ID = '~'.repeat(MAX_NAME_LENGTH);
/** How many non-plain ids `open` steps over at most while looking for the largest plain one. */
const PLAIN_ID_SCAN = 10_000;

/**
 * The durable EventStore on LMDB (the `lmdb` package): the default of `tauon serve`.
 *
 * Layout, one LMDB environment with seven databases:
 * - `events`: pos -> stored event (msgpack)
 * - `extents`: [stream, firstSeq] -> firstPos, where each run of a stream's consecutive
 *   positions starts (see StreamExtents; it replaced a per-event [stream, seq] -> pos index,
 *   `streams`, which `open` converts)
 * - `ids`: event id -> pos
 * - `heads`: stream -> {head, tx, lastPos, lastRecorded}
 * - `surface`: [stream, key] -> pos of the key's newest event
 * - `types`: [type, pos] -> [stream, key?] for every event, what append conditions are checked
 *   against (TypeIndex; `open` indexes a directory written before it once)
 * - `meta`: the store's own facts; `store` -> its identity (EventStore.id), made by the first
 *   open of the directory (of a directory written before identities too); `group-revision` ->
 *   the last revision of a consumer group's document
 * - `groups`, `group-parked`, `group-parked-parts`: consumer groups' documents and parked
 *   events (LmdbGroupStore, `groups`)
 * - `projections`, `projection-values`, `projection-generations`, `projection-cleared`:
 *   server-side projections' records and values (LmdbProjectionStore, `projections`)
 *
 * Each `append()` call runs as one LMDB child transaction (all its requests, never one per
 * event), and the calls made during one turn of the event loop are committed as one
 * transaction at its end (TurnCommits): group commit. The rules are checked inside the write
 * transaction, against the committed state plus the calls before it in the same commit, so no
 * counter lives outside the database that a failed commit could leave wrong; a call whose
 * commit fails leaves no trace. An append resolves, and `onCommit` listeners hear of it, once
 * its commit is flushed to disk.
 * One process at a time may write to a directory.
 *
 * @example
 * const store = await LmdbStore.open('./data');
 * await store.append([{ stream: 'orders', events: [{ id: 'e1', type: 'placed' }], expected: 'any', dedupe: false }]);
 * await store.close();
 */
export class LmdbStore implements EventStore {
  readonly kind = 'lmdb';
  /** The calls are written in the order they were made (see TurnCommits). */
  readonly decidesAppendsInOrder = true;
  /** Conditions are checked inside the write transaction, against the `types` index (unless turned off). */
  readonly checksAppendConditions: boolean;

  private readonly listeners = new CommitListeners();
  /**
   * The next position to hand out, as the write transactions see it. A cache: checked against
   * the database at the start of each call (see nextPosition) and reloaded when a commit failed.
   */
  private nextPos = 0;
  /**
   * At least every plain id stored (see PLAIN_ID): a plain id beyond it cannot be stored, so its
   * lookup is skipped. Time-ordered ids (UUIDv7, the client's default) arrive beyond it, and
   * most appends need no id read at all. It only grows; a rolled-back write leaves it higher
   * than needed, which costs lookups, never correctness.
   */
  private plainIdBound: string;
  /** Settles after the previous append's listeners ran: commit notifications stay in order. */
  private commitOrder: Promise<void> = Promise.resolve();
  private readonly turns: TurnCommits;
  private closing: Promise<void> | undefined;
  /**
   * Consumer groups' coordination state, in the same environment (SPEC 17). Typed as the
   * interface: the declarations of the store name no type of the lmdb package.
   */
  readonly groups: GroupStore;
  private readonly groupStore: LmdbGroupStore;
  /** Server-side projections' records and values, in the same environment (issue 18). */
  readonly projections: ProjectionStore;
  private readonly projectionStore: LmdbProjectionStore;

  /**
   * The heads the append call in progress moved, put once at its end instead of once per
   * request (a call of many one-event requests to a stream wrote and re-read its head for each).
   */
  private readonly callHeads = new Map<string, HeadRecord>();

  private readonly target: AppendTarget = {
    streamHead: (stream) => this.headInCall(stream),
    eventById: (id) => (id > this.plainIdBound && PLAIN_ID.test(id) ? undefined : this.eventAt(this.ids.get(id))),
    newestOfKey: (stream, key) => this.eventAt(this.surfaceIndex.get([stream, key])),
    write: (stream, events) => this.write(stream, events),
    conditionVerdict: (condition) => {
      // Never asked when conditions are off: the server refuses them before the store.
      if (this.typeIndex === undefined) throw new TauonError('unsupported', 'this lmdb store does not check append conditions');
      return this.typeIndex.verdict(condition);
    },
  };

  private constructor(
    private readonly root: RootDatabase,
    private readonly events: Database<StoredEvent, number>,
    private readonly rawEvents: Database<Uint8Array, number>,
    private readonly extents: StreamExtents,
    private readonly ids: Database<number, string>,
    private readonly heads: Database<HeadRecord, string>,
    private readonly surfaceIndex: Database<number, [string, string]>,
    private readonly typeIndex: TypeIndex | undefined,
    private readonly clock: StoreClock,
    /** The identity kept in the `meta` database. */
    readonly id: string,
    groupDatabases: LmdbGroupDatabases,
    projectionDatabases: LmdbProjectionDatabases,
  ) {
    this.plainIdBound = largestPlainId(ids);
    this.checksAppendConditions = typeIndex !== undefined;
    this.turns = new TurnCommits(root);
    this.groupStore = new LmdbGroupStore(this.turns, groupDatabases, () => this.assertOpen());
    this.groups = this.groupStore;
    this.projectionStore = new LmdbProjectionStore(this.turns, projectionDatabases, () => this.assertOpen());
    this.projections = this.projectionStore;
  }

  /**
   * Opens (creating if needed) the store in directory `path`. Reopening a directory sees every
   * acknowledged event and continues its positions, seqs and transactions. `path` is a directory
   * whatever its name (`my.data` too), created with its parents when absent.
   * @throws TauonError (`internal`) when `path` cannot be made a directory or opened
   */
  static async open(path: string, options: LmdbStoreOptions = {}): Promise<LmdbStore> {
    // lmdb is loaded by the first store opened, not by importing tauon/server.
    const { open } = await importDriver('the lmdb store', ['lmdb'], () => import('lmdb'));
    const layout = await prepareDataDirectory(path);
    try {
      const root = open(path, {
        // A directory even when its name has a dot (lmdb-js would take it for a file name),
        // except a store an earlier version wrote as a file there.
        noSubdir: layout === 'file',
        maxDbs: 16,
        // Keys up to 4026 bytes (the default page allows 1978), so that [stream, key] of two
        // 256-character names always fits.
        pageSize: 8192,
        // Maps the file in chunks and lets go of them: every commit copies the newest pages of
        // each tree through the map, and without this each of them stayed resident (a server
        // appending a million events grew by ~115 MB of mapped pages; with it, ~65 MB). Replays
        // walk the map with cursors and measured no slower.
        remapChunks: true,
        noSync: options.sync === false,
        encoder: VALUE_ENCODER,
      });
      // lmdb-js passes `encoder` options on to msgpackr; its DatabaseOptions type omits them.
      const withEncoder = (name: string): DatabaseOptions & { name: string } =>
        ({ name, encoder: VALUE_ENCODER }) as DatabaseOptions & { name: string };
      // Data with a `__proto__` key reads back with it (event-encoder.ts).
      const events = root.openDB<StoredEvent, number>({ ...withEncoder('events'), encoder: { Encoder: EventEncoder } } as DatabaseOptions & { name: string });
      const rawEvents = root.openDB<Uint8Array, number>({ name: 'events', encoder: RAW_BYTES } as DatabaseOptions & { name: string });
      const extentsDb = root.openDB<number, [string, number]>(withEncoder('extents'));
      // A directory written before extents: its per-event `streams` index becomes extents.
      // (`create: false` answers nothing for a missing database; the type declarations omit both.)
      const legacyIndex = root.openDB<number, [string, number]>({ ...withEncoder('streams'), create: false } as DatabaseOptions & { name: string }) as
        | Database<number, [string, number]>
        | null
        | undefined;
      if (legacyIndex !== undefined && legacyIndex !== null) migrateStreamIndex(root, legacyIndex, extentsDb);
      const ids = root.openDB<number, string>(withEncoder('ids'));
      const heads = root.openDB<HeadRecord, string>(withEncoder('heads'));
      const surfaceIndex = root.openDB<number, [string, string]>(withEncoder('surface'));
      const meta = root.openDB<string, string>(withEncoder('meta'));
      const id = storeIdentity(root, meta);
      const types = root.openDB<readonly [string] | readonly [string, string], [string, number]>(withEncoder('types'));
      if (options.appendConditions === false) forgetTypes(root, types, meta);
      else indexTypesOnce(root, events, types, meta);
      const groupDatabases: LmdbGroupDatabases = {
        documents: root.openDB(withEncoder('groups')),
        parked: root.openDB(withEncoder('group-parked')),
        parkedParts: root.openDB(withEncoder('group-parked-parts')),
        meta,
      };
      const projectionDatabases: LmdbProjectionDatabases = {
        records: root.openDB(withEncoder('projections')),
        // Binary keys: a name's tag and the UTF-8 of the key (see LmdbProjectionStore).
        values: root.openDB({ ...withEncoder('projection-values'), keyEncoding: 'binary' }),
        generations: root.openDB(withEncoder('projection-generations')),
        cleared: root.openDB({ ...withEncoder('projection-cleared'), keyEncoding: 'binary' }),
      };
      let lastRecorded = 0;
      for (const event of events.getRange({ reverse: true, limit: 1 })) lastRecorded = event.value.recorded;
      return new LmdbStore(
        root,
        events,
        rawEvents,
        new StreamExtents(extentsDb),
        ids,
        heads,
        surfaceIndex,
        options.appendConditions === false ? undefined : new TypeIndex(types),
        new StoreClock(lastRecorded),
        id,
        groupDatabases,
        projectionDatabases,
      );
    } catch (error) {
      throw new TauonError('internal', `cannot open the lmdb store at ${path}: ${String(error)}`, { cause: error });
    }
  }

  async append(requests: readonly AppendRequest[], hooks?: AppendHooks): Promise<AppendOutcome[]> {
    this.assertOpen();
    if (requests.length === 0) return [];
    // If this call throws, only its own writes are rolled back, not those of the other calls
    // sharing the commit.
    const durable = this.turns.run(() => {
      try {
        const result = applyAppendCall(requests, this.target, this.clock, this.nextPosition(), hooks);
        for (const [stream, head] of this.callHeads) this.heads.putSync(stream, head);
        // Only reached when the call did not throw; a call that throws is rolled back and leaves
        // the counter where it was (or, when the counter proved wrong, to be read again).
        this.nextPos = result.nextPos;
        return result;
      } finally {
        this.callHeads.clear();
      }
    });
    // `notified` below passes a failure on, but only once the earlier calls were notified;
    // until then the rejection must not count as unhandled.
    void durable.catch(() => undefined);
    // Calls are written in the order they were made, so chaining here keeps the notifications
    // in position order whatever order the answers settle in.
    const notified = this.commitOrder.then(() => durable).then((result: AppendCallResult) => {
      this.listeners.notify(result.written);
      return result;
    });
    this.commitOrder = notified.then(
      () => undefined,
      () => undefined,
    );
    try {
      return (await notified).outcomes;
    } catch (error) {
      throw new TauonError('internal', `lmdb store: the append was not committed: ${String(error)}`, { cause: error });
    }
  }

  readStream(stream: string, from: number, direction: Direction, limit: number): Promise<StoredEvent[]> {
    return this.run(() => {
      const result: StoredEvent[] = [];
      const span = this.seqSpan(stream, from, direction, limit);
      if (span === undefined) return result;
      for (const run of this.extents.runs(stream, span.first, span.last)) {
        for (const { value } of this.events.getRange({ start: run.pos, end: run.pos + run.count })) result.push(value);
      }
      return direction === 'forward' ? result : result.reverse();
    });
  }

  /** In short turns (see range-in-turns.ts): a pattern that matches nothing walks the whole log. */
  readAll(from: number, direction: Direction, limit: number, prefix?: string): Promise<StoredEvent[]> {
    return this.runInTurns(async () => {
      const result: StoredEvent[] = [];
      if (limit <= 0 || (direction === 'backward' && from < 1)) return result;
      const filtered = prefix !== undefined && prefix !== '';
      const range =
        direction === 'forward'
          ? { start: Math.max(from, 1), end: BEYOND_LAST }
          : { start: Math.min(from, BEYOND_LAST), end: 0, reverse: true };
      await this.visitInTurns(this.events, range, (_pos, event) => {
        if (filtered && !event.stream.startsWith(prefix)) return true;
        result.push(event);
        return result.length < limit;
      });
      return result;
    });
  }

  /**
   * The stored bytes are the wire's msgpack (VALUE_ENCODER): they go out as they are, each run
   * of the stream's positions read with one cursor walk.
   */
  readStreamEncoded(stream: string, from: number, limit: number): Promise<EncodedEvents> {
    return this.run(() => {
      const span = this.seqSpan(stream, from, 'forward', limit);
      const page = new EncodedPage(span === undefined ? 0 : span.last - span.first + 1);
      if (span === undefined) return page.done();
      for (const run of this.extents.runs(stream, span.first, span.last)) {
        let seq = run.seq;
        for (const { value } of this.rawEvents.getRange({ start: run.pos, end: run.pos + run.count })) page.add(seq++, value);
      }
      return page.done();
    });
  }

  readAllEncoded(from: number, limit: number): Promise<EncodedEvents> {
    return this.run(() => {
      const page = new EncodedPage(limit);
      if (limit <= 0) return page.done();
      for (const { key, value } of this.rawEvents.getRange({ start: Math.max(from, 1), end: BEYOND_LAST, limit })) {
        page.add(key, value);
      }
      return page.done();
    });
  }

  findEvent(id: string): Promise<StoredEvent | undefined> {
    return this.run(() => this.eventAt(this.ids.get(id)));
  }

  findByTime(time: number, stream?: string, prefix?: string): Promise<StoredEvent | undefined> {
    return this.runInTurns(async () => {
      if (stream !== undefined) {
        const head = this.heads.get(stream)?.head ?? 0;
        const seq = firstAtOrAfter(head, time, (n) => this.eventAt(this.extents.positionOf(stream, n))?.recorded);
        return seq > head ? undefined : this.eventAt(this.extents.positionOf(stream, seq));
      }
      const last = this.lastPosition();
      const pos = firstAtOrAfter(last, time, (n) => this.events.get(n)?.recorded);
      if (pos > last) return undefined;
      if (prefix === undefined) return this.events.get(pos);
      // The first one under the prefix from there: a prefix that matches nothing walks on to
      // the end of the log, in short turns.
      let found: StoredEvent | undefined;
      await this.visitInTurns(this.events, { start: pos, end: BEYOND_LAST }, (_pos, event) => {
        if (event.stream.startsWith(prefix)) found = event;
        return found === undefined;
      });
      return found;
    });
  }

  streamInfo(stream: string): Promise<StreamSummary | undefined> {
    return this.run(() => {
      const head = this.heads.get(stream);
      return head === undefined ? undefined : summaryOf(stream, head);
    });
  }

  listStreams(prefix: string, after: string | undefined, limit: number): Promise<StreamSummary[]> {
    return this.run(() => {
      const result: StreamSummary[] = [];
      if (limit <= 0) return result;
      const startAfter = after !== undefined && compareNames(after, prefix) >= 0;
      const start = startAfter ? after : prefix;
      // Names with the prefix are one contiguous run in key order: stop at the first without it.
      for (const { key, value } of this.heads.getRange(start === '' ? {} : { start })) {
        if (startAfter && key === after) continue;
        if (!key.startsWith(prefix)) break;
        result.push(summaryOf(key, value));
        if (result.length >= limit) break;
      }
      return result;
    });
  }

  /**
   * In short turns, on one read snapshot (a stream of a million keys took a second): the
   * positions of the stream's keys, sorted (seq order is position order within a stream), then
   * their events.
   */
  surface(stream: string): Promise<StoredEvent[]> {
    return this.runInTurns(async () => {
      const transaction = this.root.useReadTransaction();
      try {
        const positions: number[] = [];
        // [stream] sorts before every [stream, key]; the run of this stream's keys ends at the
        // first key of another stream.
        await this.visitInTurns(this.surfaceIndex, { start: [stream], transaction }, (key, pos) => {
          if (key[0] !== stream) return false;
          positions.push(pos);
          return true;
        });
        const turns = new TurnBudget();
        const result: StoredEvent[] = [];
        for (const pos of Float64Array.from(positions).sort()) {
          const event = this.events.get(pos, { transaction });
          if (event !== undefined) result.push(event);
          if (turns.count()) await this.pauseOpen(turns);
        }
        return result;
      } finally {
        // A store closing ends its transactions itself (done() would then throw over the reason).
        if (this.closing === undefined) transaction.done();
      }
    });
  }

  headPosition(): Promise<number> {
    return this.run(() => this.lastPosition());
  }

  onCommit(listener: (events: readonly StoredEvent[]) => void): () => void {
    return this.listeners.add(listener);
  }

  onCommitDuration(listener: (seconds: number) => void): () => void {
    return this.turns.durations.add(listener);
  }

  /** Waits for the appends, group and projection writes in flight, then closes the database. Calling it again is harmless. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.commitOrder;
      await this.groupStore.idle();
      await this.projectionStore.idle();
      this.listeners.clear();
      await this.root.close();
    })();
    return this.closing;
  }

  /** Runs inside the write transaction: writes one request's events and the indexes. */
  private write(stream: string, events: readonly StoredEvent[]): void {
    const first = events[0]!;
    this.extents.recordAppend(stream, first.seq, first.pos, this.headInCall(stream)?.lastPos);
    for (const event of events) {
      // MDB_APPEND refuses (answers false, writes nothing) a position not past the last one:
      // the call fails and is rolled back rather than losing the event or overwriting another.
      // (lmdb-js's type declarations say putSync answers nothing; it answers whether it wrote.)
      if (!(this.events.putSync(event.pos, event, APPEND) as unknown as boolean)) {
        this.nextPos = 0; // the counter was wrong: the next call reads the newest position again
        throw new TauonError('internal', `lmdb store: position ${event.pos} is not past the newest stored one`);
      }
      this.ids.putSync(event.id, event.pos);
      if (event.id > this.plainIdBound && PLAIN_ID.test(event.id)) this.plainIdBound = event.id;
      if (event.key !== undefined) this.surfaceIndex.putSync([stream, event.key], event.pos);
      this.typeIndex?.record(event);
    }
    const last = events[events.length - 1]!;
    this.callHeads.set(stream, { head: last.seq, tx: last.tx, lastPos: last.pos, lastRecorded: last.recorded });
  }

  /** Inside the write transaction: the stream's head including the call's own writes. */
  private headInCall(stream: string): HeadRecord | undefined {
    return this.callHeads.get(stream) ?? this.heads.get(stream);
  }

  /**
   * The seqs a read of `stream` from `from` covers, at most `limit` of them up to its head
   * (forward) or down to seq 1 (backward), first <= last; undefined when there are none.
   */
  private seqSpan(stream: string, from: number, direction: Direction, limit: number): { first: number; last: number } | undefined {
    const head = this.heads.get(stream)?.head ?? 0;
    if (limit <= 0) return undefined;
    const span =
      direction === 'forward'
        ? { first: Math.max(from, 1), last: Math.min(head, Math.max(from, 1) + limit - 1) }
        : { first: Math.max(1, Math.min(from, head) - limit + 1), last: Math.min(from, head) };
    return span.first <= span.last ? span : undefined;
  }

  /**
   * The first position of a call, inside the write transaction. The cached counter is right
   * when the event just before it is stored; after a failed commit it is not (the failed
   * commit's events are gone) and the counter is reloaded from the newest stored position.
   */
  private nextPosition(): number {
    if (this.nextPos === 0 || (this.nextPos > 1 && !this.events.doesExist(this.nextPos - 1))) {
      this.nextPos = this.lastPosition() + 1;
    }
    return this.nextPos;
  }

  /** The newest position: committed, or inside the write transaction including its writes. */
  private lastPosition(): number {
    for (const key of this.events.getKeys({ reverse: true, limit: 1 })) return key;
    return 0;
  }

  private eventAt(pos: number | undefined): StoredEvent | undefined {
    return pos === undefined ? undefined : this.events.get(pos);
  }

  /** Runs a read on an open store, as a promise. */
  private run<T>(read: () => T): Promise<T> {
    try {
      this.assertOpen();
      return Promise.resolve(read());
    } catch (error) {
      return Promise.reject(storeError(error));
    }
  }

  /** Runs a read that may pause between turns (see short-turns.ts) on an open store. */
  private async runInTurns<T>(read: () => Promise<T>): Promise<T> {
    try {
      this.assertOpen();
      return await read();
    } catch (error) {
      throw storeError(error);
    }
  }

  /** {@link visitRangeInTurns} on this store, which must still be open after each pause. */
  private visitInTurns<K extends Key, V>(db: Database<V, K>, range: TurnRange<K>, visit: (key: K, value: V) => boolean): Promise<void> {
    return visitRangeInTurns(db, range, visit, () => this.assertOpen());
  }

  /** Waits for a later turn; throws when the store was closed meanwhile. */
  private async pauseOpen(turns: TurnBudget): Promise<void> {
    await turns.pause();
    this.assertOpen();
  }

  private assertOpen(): void {
    if (this.closing !== undefined) throw new TauonError('internal', 'the lmdb store is closed');
  }
}

/**
 * The identity kept under `store` in `meta`, made and kept on the first open of a directory (a
 * directory of an earlier version gets one then; its events are untouched).
 */
function storeIdentity(root: RootDatabase, meta: Database<string, string>): string {
  return root.transactionSync(() => {
    const kept = meta.get('store');
    if (isStoreId(kept)) return kept;
    const made = newStoreId();
    meta.putSync('store', made);
    return made;
  });
}

/**
 * The largest plain id in `ids`, or a bound above every plain id when too many other ids sort
 * after it. Plain keys are their bytes, so they sort below '\x7f' and among themselves as
 * strings; going down from there, the first plain key is the largest.
 */
function largestPlainId(ids: Database<number, string>): string {
  let stepped = 0;
  for (const key of ids.getKeys({ start: '\x7f', reverse: true })) {
    if (PLAIN_ID.test(key)) return key;
    stepped += 1;
    if (stepped >= PLAIN_ID_SCAN) return ABOVE_EVERY_PLAIN_ID;
  }
  return '';
}

/**
 * The first n in 1..last whose `recordedAt(n)` is at or after `time`, by binary search (recorded
 * is non-decreasing along positions and seqs); last + 1 when there is none.
 */
function firstAtOrAfter(last: number, time: number, recordedAt: (n: number) => number | undefined): number {
  let low = 1;
  let high = last + 1;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    const recorded = recordedAt(middle);
    // A missing entry would be a gap; counting it as earlier keeps the search moving forward.
    if (recorded === undefined || recorded < time) low = middle + 1;
    else high = middle;
  }
  return low;
}

function storeError(error: unknown): TauonError {
  return error instanceof TauonError ? error : new TauonError('internal', `lmdb store: ${String(error)}`, { cause: error });
}

function summaryOf(stream: string, head: HeadRecord): StreamSummary {
  return {
    stream,
    head: head.head,
    count: head.head,
    tx: head.tx,
    lastPos: head.lastPos,
    lastRecorded: head.lastRecorded,
  };
}
