import type { CustomTypesConfig, Pool, PoolClient, PoolConfig } from 'pg';
import { redactUrl } from '../../../transports/redact-url.js';
import type { AppendCondition, StoredEvent, StreamSummary } from '../../../protocol/frames.js';
import { TauonError } from '../../../protocol/errors.js';
import type { AppendOutcome, AppendRequest, Direction, EncodedEvents, EventStore } from '../event-store.js';
import { EncodedPage } from '../encoded-page.js';
import { applyAppendCall } from '../append-planner.js';
import { CONDITION_SCAN_LIMIT, type TypedEntry } from '../append-condition.js';
import { CommitListeners } from '../commit-listeners.js';
import { StoreClock } from '../store-clock.js';
import { AppendState } from './append-state.js';
import { CommitFeed } from './commit-feed.js';
import { decodeEventBody } from './event-body.js';
import type { CommitChannelListener } from './listener.js';
import { likePrefixPattern, nameFromColumn, nameToColumn, quoteIdentifier } from './names.js';
import { APPEND_LOCK_CLASS, checkSchemaName, commitChannel, keepStoreId, migrate, schemaLockKey } from './schema.js';
import { newStoreId } from '../store-identity.js';
import { importDriver } from '../../../transports/optional-driver.js';
import { withDefaultUser } from './default-user.js';
import { mapInTurns } from '../../short-turns.js';
import { PostgresGroupStore } from './postgres-group-store.js';
import type { GroupStore } from '../../groups/group-store.js';
import { PostgresProjectionStore } from './postgres-projection-store.js';
import type { ProjectionStore } from '../../projections/projection-store.js';
import { CommitDurations } from '../../metrics-commit-durations.js';

/** The parts of the store that need pg (pg-driver.ts), loaded by {@link PostgresStore.open}. */
type PgDriver = typeof import('./pg-driver.js');

/** Options of {@link PostgresStore.open}. */
export interface PostgresStoreOptions {
  /**
   * The PostgreSQL schema that holds the store's tables; created on first use. Several servers
   * opening the same schema of the same database share one store and see each other's appends.
   * @default 'tauon'
   */
  readonly schema?: string;
  /**
   * The most connections used for reads at once (appends use one more connection, and live
   * notifications another).
   * @default 10
   */
  readonly poolSize?: number;
}

/** One `append()` call waiting for its transaction. */
interface PendingCall {
  readonly requests: readonly AppendRequest[];
  readonly resolve: (outcomes: AppendOutcome[]) => void;
  readonly reject: (error: TauonError) => void;
}

/** What one call came to inside a transaction: its outcomes, or the error that dropped it. */
type CallResult = { readonly outcomes: AppendOutcome[] } | { readonly error: TauonError };

/** A row of the statement that looks up the events of a condition's types. */
interface TypedRow {
  readonly type: string;
  readonly pos: number;
  readonly stream: string;
  readonly key: string | null;
}

/** A row of the lookup statement an append transaction starts with. */
interface LookupRow {
  readonly kind: 'head' | 'stream' | 'event';
  readonly name: string | null;
  readonly a: number | null;
  readonly b: number | null;
  readonly body: Buffer | null;
}

/** The most events one transaction writes; calls beyond wait for the next one. */
const MAX_EVENTS_PER_TRANSACTION = 10_000;
/** Events per read of the table when the commit feed catches up. */
const FEED_PAGE_SIZE = 1_000;

/** bigint columns (seq, pos, tx, recorded) as numbers: they stay below 2^53. */
const INT8_OID = 20;
function numericTypes({ types }: PgDriver): CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID && format !== 'binary'
        ? (value: string) => Number(value)
        : (types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown)) as CustomTypesConfig['getTypeParser'],
  };
}

/**
 * The EventStore on PostgreSQL (the `pg` driver), for teams that already run a database. Several
 * reference servers may open the same schema: they share the store and hear each other's
 * appends live.
 *
 * Tables (see postgres-schema.ts; created and migrated on first use): `events` (one row per
 * event, the event itself as msgpack in `body`), `streams` (one row per stream) and `surface`
 * (newest event per key); `consumer_groups` and `parked_events` for consumer groups (`groups`,
 * PostgresGroupStore: servers on one schema share its groups); `projections` and
 * `projection_values` for server-side projections (`projections`, PostgresProjectionStore).
 *
 * Appends: the `append()` calls made while a transaction is in flight are written together in
 * the next one (group commit), each call planned on its own, so that a call whose planning
 * throws fails alone. A transaction takes a transaction-level advisory lock on the schema
 * first, looks up (in one statement) the head position and every stream, id and key its calls
 * name, runs the shared append rules, writes all its events in one statement, and commits.
 * PostgreSQL releases the lock only after the commit is visible, so appends of every server
 * commit one after another and positions (the newest stored + 1) are dense and become visible
 * in order: a reader tailing by position never skips an event that commits late. `recorded`
 * never goes below the newest stored one, whichever server's clock wrote it.
 *
 * Live: each commit NOTIFYs a channel of the schema with its last position. A dedicated
 * connection LISTENs; `onCommit` listeners hear this store's commits from the events in hand and
 * other servers' from the table, each event once, in position order (see CommitFeed).
 *
 * Names may contain any character, U+0000 included (see postgres-names.ts).
 *
 * @example
 * const store = await PostgresStore.open('postgres://postgres@127.0.0.1:5432/test');
 * await store.append([{ stream: 'orders', events: [{ id: 'e1', type: 'placed' }], expected: 'any', dedupe: false }]);
 * await store.close();
 */
export class PostgresStore implements EventStore {
  readonly kind = 'postgres';
  /**
   * Conditions are checked under the append lock every server of the schema takes, against the
   * `event_types` index and the transaction's own writes.
   */
  readonly checksAppendConditions = true;
  /** The identity kept in the schema's `meta` table (set by `open`). */
  get id(): string {
    return this.identity;
  }
  private identity = '';

  private readonly listeners = new CommitListeners();
  /** Told how long each append transaction's write and COMMIT took (EventStore.onCommitDuration). */
  private readonly commitDurations = new CommitDurations();
  private listenerCount = 0;
  private readonly queue: PendingCall[] = [];
  private writing: Promise<void> | undefined;
  /** Settles when the appends already committed have been told to the listeners. */
  private dispatching: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private feed: CommitFeed | undefined;
  private channelListener: CommitChannelListener | undefined;
  /** The highest position notified before the feed existed. */
  private notifiedEarly = 0;
  private readonly sql: ReturnType<typeof statements>;
  /** Consumer groups' coordination state, in the schema's tables (SPEC 17; PostgresGroupStore). */
  readonly groups: GroupStore;
  /** Server-side projections' records and values, in the schema's tables (issue 18; PostgresProjectionStore). */
  readonly projections: ProjectionStore;

  private constructor(
    private readonly pg: PgDriver,
    private readonly reads: Pool,
    private readonly writes: Pool,
    readonly schema: string,
  ) {
    this.sql = statements(quoteIdentifier(schema));
    this.groups = new PostgresGroupStore(reads, schema, () => {
      if (this.closing !== undefined) throw closedError();
    });
    this.projections = new PostgresProjectionStore(reads, schema, () => {
      if (this.closing !== undefined) throw closedError();
    });
  }

  /**
   * Connects to the database at `url` (a `postgres://` connection string) and opens the store
   * in `options.schema`, creating or migrating its tables first. A URL without a user connects
   * as PGUSER, USER or else the operating system's user, as psql does.
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const schema = options.schema ?? 'tauon';
    checkSchemaName(schema);
    const pg = await importDriver('the PostgreSQL store', ['pg'], () => import('./pg-driver.js'));
    const base: PoolConfig = { connectionString: withDefaultUser(url), types: numericTypes(pg), application_name: `tauon:${schema}`.slice(0, 63) };
    const reads = new pg.Pool({ ...base, max: options.poolSize ?? 10 });
    // One connection for appends, pipelined: a transaction's statements go out without waiting
    // for each other's answers.
    const writes = new pg.Pool({ ...base, max: 1, pipeline: true });
    const store = new PostgresStore(pg, reads, writes, schema);
    for (const pool of [reads, writes]) {
      // An idle connection that dies (a restarted server) is dropped by the pool; say so.
      pool.on('error', (error) => store.warn(`a pooled connection failed: ${error.message}`));
    }
    try {
      const client = await reads.connect();
      try {
        await migrate(client, schema);
        store.identity = await keepStoreId(client, schema, newStoreId());
      } finally {
        client.release();
      }
      await store.startFeed(base);
      return store;
    } catch (error) {
      await store.shutDown();
      if (error instanceof TauonError) throw error;
      throw new TauonError('internal', `cannot open the postgres store at ${redactUrl(url)}: ${messageOf(error)}`, { cause: error });
    }
  }

  append(requests: readonly AppendRequest[]): Promise<AppendOutcome[]> {
    if (this.closing !== undefined) return Promise.reject(closedError());
    if (requests.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      this.queue.push({ requests, resolve, reject });
      this.writing ??= this.writeQueued();
    });
  }

  readStream(stream: string, from: number, direction: Direction, limit: number): Promise<StoredEvent[]> {
    return this.read(async () => {
      if (limit <= 0 || (direction === 'backward' && from < 1)) return [];
      const result = await this.reads.query<{ body: Buffer }>(
        direction === 'forward' ? this.sql.streamForward : this.sql.streamBackward,
        [nameToColumn(stream), direction === 'forward' ? Math.max(from, 1) : from, limit],
      );
      return result.rows.map((row) => decodeEventBody(row.body));
    });
  }

  readAll(from: number, direction: Direction, limit: number, prefix?: string): Promise<StoredEvent[]> {
    return this.read(async () => {
      if (limit <= 0 || (direction === 'backward' && from < 1)) return [];
      const forward = direction === 'forward';
      const filtered = prefix !== undefined && prefix !== '';
      const text = filtered ? (forward ? this.sql.allForwardPrefix : this.sql.allBackwardPrefix) : forward ? this.sql.allForward : this.sql.allBackward;
      const values: unknown[] = [Math.max(from, 0), limit];
      if (filtered) values.push(likePrefixPattern(prefix));
      const result = await this.reads.query<{ body: Buffer }>(text, values);
      return result.rows.map((row) => decodeEventBody(row.body));
    });
  }

  /** The `body` column is the wire's msgpack (postgres-event-body.ts): it goes out as it is. */
  readStreamEncoded(stream: string, from: number, limit: number): Promise<EncodedEvents> {
    return this.read(async () => {
      const page = new EncodedPage(limit);
      if (limit <= 0) return page.done();
      const result = await this.reads.query<{ seq: number; body: Buffer }>(this.sql.streamForward, [nameToColumn(stream), Math.max(from, 1), limit]);
      for (const row of result.rows) page.add(row.seq, row.body);
      return page.done();
    });
  }

  readAllEncoded(from: number, limit: number): Promise<EncodedEvents> {
    return this.read(async () => {
      const page = new EncodedPage(limit);
      if (limit <= 0) return page.done();
      const result = await this.reads.query<{ pos: number; body: Buffer }>(this.sql.allForward, [Math.max(from, 0), limit]);
      for (const row of result.rows) page.add(row.pos, row.body);
      return page.done();
    });
  }

  findEvent(id: string): Promise<StoredEvent | undefined> {
    return this.read(async () => {
      const result = await this.reads.query<{ body: Buffer }>(this.sql.eventById, [nameToColumn(id)]);
      const row = result.rows[0];
      return row === undefined ? undefined : decodeEventBody(row.body);
    });
  }

  findByTime(time: number, stream?: string, prefix?: string): Promise<StoredEvent | undefined> {
    return this.read(async () => {
      let result;
      if (stream !== undefined) {
        result = await this.reads.query<{ body: Buffer }>(this.sql.streamByTime, [nameToColumn(stream), time]);
      } else if (prefix !== undefined && prefix !== '') {
        result = await this.reads.query<{ body: Buffer }>(this.sql.allByTimePrefix, [time, likePrefixPattern(prefix)]);
      } else {
        result = await this.reads.query<{ body: Buffer }>(this.sql.allByTime, [time]);
      }
      const row = result.rows[0];
      return row === undefined ? undefined : decodeEventBody(row.body);
    });
  }

  streamInfo(stream: string): Promise<StreamSummary | undefined> {
    return this.read(async () => {
      const result = await this.reads.query<StreamRow>(this.sql.streamInfo, [nameToColumn(stream)]);
      const row = result.rows[0];
      return row === undefined ? undefined : summaryOf(row);
    });
  }

  listStreams(prefix: string, after: string | undefined, limit: number): Promise<StreamSummary[]> {
    return this.read(async () => {
      if (limit <= 0) return [];
      const result =
        after === undefined
          ? await this.reads.query<StreamRow>(this.sql.listStreams, [likePrefixPattern(prefix), limit])
          : await this.reads.query<StreamRow>(this.sql.listStreamsAfter, [likePrefixPattern(prefix), limit, nameToColumn(after)]);
      return result.rows.map(summaryOf);
    });
  }

  surface(stream: string): Promise<StoredEvent[]> {
    return this.read(async () => {
      const result = await this.reads.query<{ body: Buffer }>(this.sql.surface, [nameToColumn(stream)]);
      // One row per key, as many as a million: decoded in short turns.
      return mapInTurns(result.rows, (row) => decodeEventBody(row.body));
    });
  }

  headPosition(): Promise<number> {
    return this.read(async () => {
      const result = await this.reads.query<{ pos: number }>(this.sql.headPosition);
      return result.rows[0]?.pos ?? 0;
    });
  }

  onCommitDuration(listener: (seconds: number) => void): () => void {
    return this.commitDurations.add(listener);
  }

  onCommit(listener: (events: readonly StoredEvent[]) => void): () => void {
    const remove = this.listeners.add(listener);
    this.listenerCount++;
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      this.listenerCount--;
      remove();
    };
  }

  /**
   * Waits for the appends already made (they are written and told to the listeners), then
   * closes the connections. Calling it again is harmless.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.writing;
      await this.dispatching;
      await this.shutDown();
      this.listeners.clear();
    })();
    return this.closing;
  }

  /** LISTENs, then starts the feed from the head position (commits after it are heard). */
  private async startFeed(config: PoolConfig): Promise<void> {
    this.channelListener = await this.pg.CommitChannelListener.start(
      { ...config, application_name: `tauon-listen:${this.schema}`.slice(0, 63) },
      commitChannel(this.schema),
      {
        notified: (pos) => {
          if (this.feed === undefined) this.notifiedEarly = Math.max(this.notifiedEarly, pos);
          else this.feed.committedUpTo(pos);
        },
        // Commits made while the connection was down were not notified: look at the head.
        reconnected: () => {
          this.headPosition().then(
            (pos) => this.feed?.committedUpTo(pos),
            (error: unknown) => this.warn(`reading the head after a reconnect failed: ${messageOf(error)}`),
          );
        },
        trouble: (message) => this.warn(message),
      },
    );
    const head = await this.headPosition();
    this.feed = new CommitFeed(
      { readAfter: (after, upTo, limit) => this.readAfter(after, upTo, limit) },
      this.listeners,
      { pageSize: FEED_PAGE_SIZE, hasListeners: () => this.listenerCount > 0, trouble: (message) => this.warn(message) },
      head,
    );
    this.feed.committedUpTo(this.notifiedEarly);
  }

  /** Events with positions in (after, upTo], for the feed. */
  private async readAfter(after: number, upTo: number, limit: number): Promise<StoredEvent[]> {
    const result = await this.reads.query<{ body: Buffer }>(this.sql.range, [after, upTo, limit]);
    return result.rows.map((row) => decodeEventBody(row.body));
  }

  /**
   * Writes queued calls, a transaction at a time, until none are left. It clears `writing` in
   * the same step as it finds the queue empty, so that a call queued after that starts it again.
   */
  private async writeQueued(): Promise<void> {
    for (;;) {
      if (this.queue.length === 0) {
        this.writing = undefined;
        return;
      }
      const group = this.takeGroup();
      try {
        await this.commitGroup(group);
      } catch (error) {
        // The transaction failed as a whole. Each call goes again alone, so that one call's
        // trouble fails only that call (ids keep a repeat of a committed call harmless).
        if (group.length === 1) {
          group[0]!.reject(asStoreError(error));
          continue;
        }
        for (const call of group) {
          try {
            await this.commitGroup([call]);
          } catch (alone) {
            call.reject(asStoreError(alone));
          }
        }
      }
    }
  }

  /** The calls of the next transaction: at least one, then as many as fit. */
  private takeGroup(): PendingCall[] {
    const group = [this.queue.shift()!];
    let events = countEvents(group[0]!);
    while (this.queue.length > 0) {
      const size = countEvents(this.queue[0]!);
      if (events + size > MAX_EVENTS_PER_TRANSACTION) break;
      events += size;
      group.push(this.queue.shift()!);
    }
    return group;
  }

  /**
   * One transaction for `calls`. Resolves or rejects each call once its outcome is known (after
   * the commit, and after the listeners heard of it); throws when the transaction failed.
   */
  private async commitGroup(calls: readonly PendingCall[]): Promise<void> {
    const client = await this.writes.connect();
    let broken: Error | undefined;
    try {
      const { state, results } = await this.transact(client, calls);
      const heard = this.feed?.committedHere(state.events) ?? Promise.resolve();
      this.dispatching = Promise.all([this.dispatching, heard]).then(() => undefined);
      void heard.then(() => {
        calls.forEach((call, i) => {
          const result = results[i]!;
          if ('error' in result) call.reject(result.error);
          else call.resolve(result.outcomes);
        });
      });
    } catch (error) {
      broken = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      // A connection whose transaction failed is closed rather than reused in an unknown state.
      client.release(broken);
    }
  }

  /** Runs the append transaction on `client` and commits it. */
  private async transact(client: PoolClient, calls: readonly PendingCall[]): Promise<{ state: AppendState; results: CallResult[] }> {
    const lookups = lookupsOf(calls);
    // Pipelined: the lock is granted before the lookup runs, so the lookup sees every commit
    // before this one.
    const conditions = conditionsOf(calls);
    const [, , lookup, ...typed] = await settleAll([
      client.query('BEGIN'),
      client.query(this.sql.lock, [APPEND_LOCK_CLASS, schemaLockKey(this.schema)]),
      client.query<LookupRow>(this.sql.lookup, [lookups.streams, lookups.ids, lookups.keyStreams, lookups.keys]),
      // Under the lock too: the stored events of each condition's types after its position.
      ...conditions.map((condition) =>
        client.query<TypedRow>(this.sql.typedAfter, [[...new Set(condition.types)].map(nameToColumn), condition.after, CONDITION_SCAN_LIMIT + 1]),
      ),
    ]);
    try {
      const state = new AppendState();
      conditions.forEach((condition, i) => state.seedCondition(condition, typedEntries(typed[i]!.rows)));
      let lastPos = 0;
      let lastRecorded = 0;
      for (const row of lookup.rows) {
        if (row.kind === 'head') {
          lastPos = row.a!;
          lastRecorded = row.b!;
        } else if (row.kind === 'stream') {
          state.seedHead(nameFromColumn(row.name!), { head: row.a!, tx: row.b! });
        } else {
          const event = decodeEventBody(row.body!);
          if (row.name === 'id') state.seedEvent(event);
          else state.seedNewest(event);
        }
      }
      // Never below the newest recorded time, whichever server's clock wrote it.
      const clock = new StoreClock(lastRecorded);
      let nextPos = lastPos + 1;
      const results: CallResult[] = calls.map((call) => {
        const child = state.child();
        try {
          const result = applyAppendCall(call.requests, child.target(), clock, nextPos);
          state.adopt(child);
          nextPos = result.nextPos;
          return { outcomes: result.outcomes };
        } catch (error) {
          return { error: asStoreError(error) };
        }
      });
      const events = state.events;
      if (events.length > 0) {
        const startedAt = performance.now();
        await settleAll([client.query(this.sql.write, writeValues(state, commitChannel(this.schema))), client.query('COMMIT')]);
        this.commitDurations.since(startedAt);
      } else {
        await client.query('COMMIT');
      }
      return { state, results };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Runs a read on an open store, with errors as TauonErrors. */
  private async read<T>(run: () => Promise<T>): Promise<T> {
    if (this.closing !== undefined) throw closedError();
    try {
      return await run();
    } catch (error) {
      throw asStoreError(error);
    }
  }

  /** Stops the feed and the listener and closes the pools. */
  private async shutDown(): Promise<void> {
    await this.feed?.stop();
    await this.channelListener?.stop();
    await Promise.all([this.reads.end(), this.writes.end()].map((ended) => ended.catch(() => undefined)));
  }

  private warn(message: string): void {
    process.emitWarning(`postgres store (schema ${this.schema}): ${message}`, { code: 'TAUON_POSTGRES_STORE' });
  }
}

/** A row of `streams`. */
interface StreamRow {
  readonly stream: string;
  readonly head: number;
  readonly tx: number;
  readonly last_pos: number;
  readonly last_recorded: number;
}

function summaryOf(row: StreamRow): StreamSummary {
  return {
    stream: nameFromColumn(row.stream),
    head: row.head,
    count: row.head,
    tx: row.tx,
    lastPos: row.last_pos,
    lastRecorded: row.last_recorded,
  };
}

/** The SQL of the store, for the schema whose quoted name is `s`. */
function statements(s: string) {
  const body = 'SELECT body FROM';
  return {
    lock: 'SELECT pg_advisory_xact_lock($1, $2)',
    // What the planner needs: the head position and time, the heads of the calls' streams, the
    // events with their ids, and the newest events of their keys (rows of kind 'event', told
    // apart by `name`).
    lookup: `(SELECT 'head' AS kind, NULL::text AS name, pos AS a, recorded AS b, NULL::bytea AS body
                FROM ${s}.events ORDER BY pos DESC LIMIT 1)
             UNION ALL
             SELECT 'stream', stream, head, tx, NULL FROM ${s}.streams WHERE stream = ANY($1::text[])
             UNION ALL
             SELECT 'event', 'id', NULL, NULL, body FROM ${s}.events WHERE id = ANY($2::text[])
             UNION ALL
             SELECT 'event', 'key', NULL, NULL, e.body
               FROM unnest($3::text[], $4::text[]) AS k(stream, key)
               JOIN ${s}.surface AS f ON f.stream = k.stream AND f.key = k.key
               JOIN ${s}.events AS e ON e.pos = f.pos`,
    // One statement writes a transaction's events, stream heads and surface, and notifies (the
    // notification goes out when the transaction commits).
    write: `WITH new_events AS (
              INSERT INTO ${s}.events (pos, stream, seq, tx, id, recorded, body)
              SELECT r.pos, r.stream, r.seq, r.tx, r.id, r.recorded, substring($7::bytea FROM r.start FOR r.size)
                FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[], $18::int[], $19::int[])
                  AS r(pos, stream, seq, tx, id, recorded, start, size)
            ), new_heads AS (
              INSERT INTO ${s}.streams (stream, head, tx, last_pos, last_recorded)
              SELECT * FROM unnest($8::text[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[])
              ON CONFLICT (stream) DO UPDATE SET head = excluded.head, tx = excluded.tx,
                last_pos = excluded.last_pos, last_recorded = excluded.last_recorded
            ), new_keys AS (
              INSERT INTO ${s}.surface (stream, key, pos)
              SELECT * FROM unnest($13::text[], $14::text[], $15::bigint[])
              ON CONFLICT (stream, key) DO UPDATE SET pos = excluded.pos
            ), new_types AS (
              INSERT INTO ${s}.event_types (type, pos, stream, key)
              SELECT * FROM unnest($20::text[], $1::bigint[], $2::text[], $21::text[])
            )
            SELECT pg_notify($16, $17)`,
    // Seqs are dense from 1, so a forward page from seq >= 1 is also a range of seqs: bounding it
    // keeps the planner (whose row estimates lag behind bulk appends) from sorting the rest of
    // the stream for each page.
    // With seq (and pos below): the encoded reads hand out positions beside the bodies.
    streamForward: `SELECT seq, body FROM ${s}.events WHERE stream = $1 AND seq >= $2 AND seq < $2 + $3 ORDER BY stream, seq LIMIT $3`,
    streamBackward: `${body} ${s}.events WHERE stream = $1 AND seq <= $2 ORDER BY seq DESC LIMIT $3`,
    allForward: `SELECT pos, body FROM ${s}.events WHERE pos >= $1 ORDER BY pos LIMIT $2`,
    allBackward: `${body} ${s}.events WHERE pos <= $1 ORDER BY pos DESC LIMIT $2`,
    allForwardPrefix: `${body} ${s}.events WHERE pos >= $1 AND stream LIKE $3 ORDER BY pos LIMIT $2`,
    allBackwardPrefix: `${body} ${s}.events WHERE pos <= $1 AND stream LIKE $3 ORDER BY pos DESC LIMIT $2`,
    range: `${body} ${s}.events WHERE pos > $1 AND pos <= $2 ORDER BY pos LIMIT $3`,
    eventById: `${body} ${s}.events WHERE id = $1`,
    // recorded is non-decreasing along pos (and seq), so the first by (recorded, pos) is the first by pos.
    streamByTime: `${body} ${s}.events WHERE stream = $1 AND recorded >= $2 ORDER BY seq LIMIT 1`,
    allByTime: `${body} ${s}.events WHERE recorded >= $1 ORDER BY recorded, pos LIMIT 1`,
    allByTimePrefix: `${body} ${s}.events WHERE recorded >= $1 AND stream LIKE $2 ORDER BY recorded, pos LIMIT 1`,
    streamInfo: `SELECT stream, head, tx, last_pos, last_recorded FROM ${s}.streams WHERE stream = $1`,
    listStreams: `SELECT stream, head, tx, last_pos, last_recorded FROM ${s}.streams
                  WHERE stream LIKE $1 ORDER BY stream LIMIT $2`,
    listStreamsAfter: `SELECT stream, head, tx, last_pos, last_recorded FROM ${s}.streams
                       WHERE stream LIKE $1 AND stream > $3 ORDER BY stream LIMIT $2`,
    surface: `SELECT e.body FROM ${s}.surface AS f JOIN ${s}.events AS e ON e.pos = f.pos
              WHERE f.stream = $1 ORDER BY e.seq`,
    headPosition: `SELECT coalesce(max(pos), 0) AS pos FROM ${s}.events`,
    // Per type, its first events after the position, at most $3 of them: one index range each.
    typedAfter: `SELECT c.type, c.pos, c.stream, c.key FROM unnest($1::text[]) AS t(type)
                 CROSS JOIN LATERAL (SELECT type, pos, stream, key FROM ${s}.event_types
                                     WHERE type = t.type AND pos > $2 ORDER BY pos LIMIT $3) AS c`,
  };
}

/** The streams, ids and (for calls with dedupe) keys that the calls name, as column values. */
function lookupsOf(calls: readonly PendingCall[]) {
  const streams = new Set<string>();
  const ids = new Set<string>();
  const keys = new Map<string, Set<string>>();
  for (const call of calls) {
    for (const request of call.requests) {
      streams.add(request.stream);
      for (const event of request.events) {
        ids.add(event.id);
        if (request.dedupe && event.key !== undefined) {
          let ofStream = keys.get(request.stream);
          if (ofStream === undefined) keys.set(request.stream, (ofStream = new Set()));
          ofStream.add(event.key);
        }
      }
    }
  }
  const keyStreams: string[] = [];
  const keyNames: string[] = [];
  for (const [stream, names] of keys) {
    for (const key of names) {
      keyStreams.push(nameToColumn(stream));
      keyNames.push(nameToColumn(key));
    }
  }
  return {
    streams: [...streams].map(nameToColumn),
    ids: [...ids].map(nameToColumn),
    keyStreams,
    keys: keyNames,
  };
}

/** The parameters of the write statement: rows of events, stream heads and surface. */
function writeValues(state: AppendState, channel: string): unknown[] {
  const events = state.events;
  const heads = new Map<string, StoredEvent>();
  const surface = new Map<string, Map<string, number>>();
  for (const event of events) {
    heads.set(event.stream, event);
    if (event.key === undefined) continue;
    let keys = surface.get(event.stream);
    if (keys === undefined) surface.set(event.stream, (keys = new Map<string, number>()));
    keys.set(event.key, event.pos);
  }
  const surfaceRows = [...surface].flatMap(([stream, keys]) => [...keys].map(([key, pos]) => [stream, key, pos] as const));
  const lastHeads = [...heads.values()];
  const starts: number[] = [];
  let start = 1;
  for (const body of state.bodies) {
    starts.push(start);
    start += body.length;
  }
  return [
    events.map((e) => e.pos),
    events.map((e) => nameToColumn(e.stream)),
    events.map((e) => e.seq),
    events.map((e) => e.tx),
    events.map((e) => nameToColumn(e.id)),
    events.map((e) => e.recorded),
    // The bodies as one binary parameter (pg sends a Buffer as bytes, an array of them as hex
    // text), cut apart by start (1-based) and size.
    Buffer.concat(state.bodies),
    lastHeads.map((e) => nameToColumn(e.stream)),
    lastHeads.map((e) => e.seq),
    lastHeads.map((e) => e.tx),
    lastHeads.map((e) => e.pos),
    lastHeads.map((e) => e.recorded),
    surfaceRows.map(([stream]) => nameToColumn(stream)),
    surfaceRows.map(([, key]) => nameToColumn(key)),
    surfaceRows.map(([, , pos]) => pos),
    channel,
    String(events[events.length - 1]!.pos),
    starts,
    state.bodies.map((body) => body.length),
    events.map((e) => nameToColumn(e.type)),
    events.map((e) => (e.key === undefined ? null : nameToColumn(e.key))),
  ];
}

/** The conditions of the calls' requests, each once. */
function conditionsOf(calls: readonly PendingCall[]): AppendCondition[] {
  const conditions = new Set<AppendCondition>();
  for (const call of calls) for (const request of call.requests) if (request.condition !== undefined) conditions.add(request.condition);
  return [...conditions];
}

/** The rows of `typedAfter` as index entries by type, in position order. */
function typedEntries(rows: readonly TypedRow[]): Map<string, TypedEntry[]> {
  const byType = new Map<string, TypedEntry[]>();
  for (const row of rows) {
    const type = nameFromColumn(row.type);
    let entries = byType.get(type);
    if (entries === undefined) byType.set(type, (entries = []));
    entries.push({ pos: row.pos, stream: nameFromColumn(row.stream), key: row.key === null ? undefined : nameFromColumn(row.key) });
  }
  for (const entries of byType.values()) entries.sort((a, b) => a.pos - b.pos);
  return byType;
}

/**
 * Awaits pipelined queries: resolves with their results, or rejects with the first failure
 * once every one has settled (so that none is left to fail unhandled).
 */
async function settleAll<T extends readonly unknown[]>(queries: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(queries);
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

function countEvents(call: PendingCall): number {
  return call.requests.reduce((sum, request) => sum + request.events.length, 0);
}

function closedError(): TauonError {
  return new TauonError('internal', 'the postgres store is closed');
}

function asStoreError(error: unknown): TauonError {
  if (error instanceof TauonError) return error;
  return new TauonError('internal', `postgres store: ${messageOf(error)}`, { cause: error });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

