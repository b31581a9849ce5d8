import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { TauonError } from '../../protocol/errors.js';
import type { StoredEvent, StreamSummary } from '../../protocol/frames.js';
import type { AppendOutcome, AppendRequest, Direction, EventStore } from '../../server-reference/stores/event-store.js';
import { quoteIdentifier } from '../../server-reference/stores/postgres/names.js';
import { newStoreId } from '../../server-reference/stores/store-identity.js';
import { expectReadsSeeOnlyCommitted } from '../conformance/store-contract.js';
import { POSTGRES_URL, TestSchemas, postgresAvailable } from './postgres-fixture.js';

// The store contract's case "reads see an append only once it is committed" proves it can fail:
// a small SQL store, written the way a database store's author naturally writes one (a savepoint
// per request, one INSERT per event, the database's unique index finding an id stored in another
// stream), fails it when its reads go through its write connection (they see rows of the open
// transaction, and rows later rolled back to the savepoint), and passes it when its reads have a
// connection of their own. Only the read connection differs between the two.

const withPostgres = await postgresAvailable();
const schemas = new TestSchemas();
afterAll(() => schemas.dropAll());

/** Just enough of an EventStore for the case: appends with the planner's rules the case needs, and the reads it makes. */
class SavepointSqlStore implements EventStore {
  readonly kind = 'savepoint-sql';
  readonly id = newStoreId();
  private tail: Promise<unknown> = Promise.resolve();
  /** One statement at a time on a connection (pg runs them so, and wants its callers to wait their turn). */
  private readonly lanes = new Map<pg.Client, Promise<unknown>>();

  private constructor(
    private readonly writer: pg.Client,
    private readonly reader: pg.Client,
    private readonly table: string,
  ) {}

  /** `readThroughWriter`: the mistake under test, reads on the connection that holds the write transaction. */
  static async open(schema: string, readThroughWriter: boolean): Promise<SavepointSqlStore> {
    const writer = new pg.Client({ connectionString: POSTGRES_URL });
    await writer.connect();
    const reader = readThroughWriter ? writer : new pg.Client({ connectionString: POSTGRES_URL });
    if (reader !== writer) await reader.connect();
    const s = quoteIdentifier(schema);
    await writer.query(`CREATE SCHEMA ${s}`);
    await writer.query(`CREATE TABLE ${s}.events (pos bigint PRIMARY KEY, stream text NOT NULL, seq bigint NOT NULL, tx bigint NOT NULL,
                        id text NOT NULL UNIQUE, recorded bigint NOT NULL, type text NOT NULL, data jsonb, UNIQUE (stream, seq))`);
    return new SavepointSqlStore(writer, reader, `${s}.events`);
  }

  append(requests: readonly AppendRequest[]): Promise<AppendOutcome[]> {
    const run = this.tail.then(() => this.transact(requests));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** One transaction per call, a savepoint per request: a failing request undoes only itself. */
  private async transact(requests: readonly AppendRequest[]): Promise<AppendOutcome[]> {
    const w = { query: <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => this.query<R>(this.writer, text, values) };
    await w.query('BEGIN');
    try {
      let pos = Number((await w.query<{ pos: string }>(`SELECT coalesce(max(pos), 0) AS pos FROM ${this.table}`)).rows[0]!.pos);
      const outcomes: AppendOutcome[] = [];
      for (const request of requests) {
        await w.query('SAVEPOINT request');
        const head = (await w.query<{ seq: string; tx: string }>(`SELECT coalesce(max(seq), 0) AS seq, coalesce(max(tx), 0) AS tx FROM ${this.table} WHERE stream = $1`, [request.stream])).rows[0]!;
        const tx = Number(head.tx) + 1;
        const written: StoredEvent[] = [];
        try {
          for (const [i, input] of request.events.entries()) {
            const stored: StoredEvent = { id: input.id, type: input.type, stream: request.stream, seq: Number(head.seq) + i + 1, pos: pos + i + 1, tx, recorded: Date.now() };
            if (input.data !== undefined) stored.data = input.data;
            await w.query(`INSERT INTO ${this.table} (pos, stream, seq, tx, id, recorded, type, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
              stored.pos, stored.stream, stored.seq, stored.tx, stored.id, stored.recorded, stored.type, JSON.stringify(stored.data ?? null),
            ]);
            written.push(stored);
          }
        } catch (error) {
          await w.query('ROLLBACK TO SAVEPOINT request');
          if ((error as { code?: string }).code !== '23505') throw error;
          outcomes.push({ ok: false, error: new TauonError('duplicate-id', 'an id of this append is stored in another stream') });
          continue;
        }
        await w.query('RELEASE SAVEPOINT request');
        pos += written.length;
        outcomes.push({ ok: true, tx, seqs: written.map((e) => e.seq), positions: written.map((e) => e.pos), dups: [], written });
      }
      await w.query('COMMIT');
      return outcomes;
    } catch (error) {
      await w.query('ROLLBACK');
      throw error;
    }
  }

  private async select(where: string, values: unknown[], order = 'pos', limit = 10_000): Promise<StoredEvent[]> {
    const rows = (await this.query<Record<string, string | null>>(
      this.reader,
      `SELECT pos, stream, seq, tx, id, recorded, type, data FROM ${this.table} WHERE ${where} ORDER BY ${order} LIMIT ${limit}`,
      values,
    )).rows;
    return rows.map((row) => ({ id: row['id']!, type: row['type']!, stream: row['stream']!, seq: Number(row['seq']), pos: Number(row['pos']), tx: Number(row['tx']), recorded: Number(row['recorded']) }));
  }

  /** Runs a statement on `client` once the statements before it there have finished. */
  private query<R extends pg.QueryResultRow>(client: pg.Client, text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    const run = (this.lanes.get(client) ?? Promise.resolve()).then(() => client.query<R>(text, values));
    this.lanes.set(client, run.catch(() => undefined));
    return run;
  }

  readStream(stream: string, from: number, direction: Direction, limit: number): Promise<StoredEvent[]> {
    return direction === 'forward' ? this.select('stream = $1 AND seq >= $2', [stream, from], 'seq', limit) : this.select('stream = $1 AND seq <= $2', [stream, from], 'seq DESC', limit);
  }

  readAll(from: number, direction: Direction, limit: number): Promise<StoredEvent[]> {
    return direction === 'forward' ? this.select('pos >= $1', [from], 'pos', limit) : this.select('pos <= $1', [from], 'pos DESC', limit);
  }

  async findEvent(id: string): Promise<StoredEvent | undefined> {
    return (await this.select('id = $1', [id]))[0];
  }

  async streamInfo(stream: string): Promise<StreamSummary | undefined> {
    const last = (await this.select('stream = $1', [stream], 'seq DESC', 1))[0];
    return last === undefined ? undefined : { stream, head: last.seq, count: last.seq, tx: last.tx, lastPos: last.pos, lastRecorded: last.recorded };
  }

  async headPosition(): Promise<number> {
    return (await this.select('true', [], 'pos DESC', 1))[0]?.pos ?? 0;
  }

  findByTime(): Promise<StoredEvent | undefined> {
    throw new Error('not needed by the case');
  }

  listStreams(): Promise<StreamSummary[]> {
    throw new Error('not needed by the case');
  }

  surface(): Promise<StoredEvent[]> {
    throw new Error('not needed by the case');
  }

  onCommit(): () => void {
    return () => undefined;
  }

  async close(): Promise<void> {
    await this.tail;
    await this.writer.end();
    if (this.reader !== this.writer) await this.reader.end();
  }
}

describe.skipIf(!withPostgres)('the store contract catches reads of uncommitted appends', () => {
  it('fails a store that reads through its write connection, naming what a read saw', async () => {
    const store = await SavepointSqlStore.open(schemas.fresh('uncommitted'), true);
    try {
      const error = await expectReadsSeeOnlyCommitted(store).then(
        () => expect.fail('the case passed a store that reads rows of its open transaction'),
        (caught: unknown) => caught as Error,
      );
      expect(error.message).toMatch(/^uncommitted reads \(round 0, read \d+, append in flight\): (readStream sees all 200 events of a request or none, not \d+|readStream sees nothing of a request that fails)/);
    } finally {
      await store.close();
    }
  });

  it('passes the same store when its reads have a connection of their own', async () => {
    const store = await SavepointSqlStore.open(schemas.fresh('committed'), false);
    try {
      await expectReadsSeeOnlyCommitted(store);
    } finally {
      await store.close();
    }
  });
});
