import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import { TauonError } from '../../../protocol/errors.js';
import type { ProjectionChange, ProjectionEntry, ProjectionRecord, ProjectionStore, ProjectionValue } from '../../projections/projection-store.js';
import { changesAsText, recordAsText } from '../projection-text.js';
import { nameFromColumn, nameToColumn, quoteIdentifier } from './names.js';

/**
 * Code points of a key's column value in the index that orders a projection's values. A btree
 * entry holds at most about 2700 bytes: a name (200 code points) and a whole key (1024) may not
 * fit, their first 400 code points do (see migration 4 in schema.ts).
 */
const ORDER_HEAD = 400;

/**
 * Server-side projections' state in the PostgreSQL store's schema (issue 18), in the tables of
 * migration 4: `projections` (one row per projection: its record as JSON text and its revision)
 * and `projection_values` (one row per key: its value as JSON text).
 *
 * A commit is one transaction: first the compare-and-set on the record's row, `INSERT ... ON
 * CONFLICT DO NOTHING` when no record is expected, `UPDATE ... WHERE revision = expected`
 * otherwise (an update that waited for another's row lock checks the revision again, finds it
 * moved and writes nothing), then, only when it wrote, the values. The record's row stays locked
 * until the commit, so the values of two commits never interleave; a commit that fails half-way
 * is rolled back whole. Servers in front of one database need no lock of their own.
 *
 * Names and keys are stored as `nameToColumn` writes them (text cannot hold U+0000), in the "C"
 * collation (code point order). A row is found by the SHA-256 of its key (a whole key may be too
 * long for a btree entry) and values are paged in the order of their first ORDER_HEAD code
 * points, then of the whole key: the same order as the whole key's.
 */
export class PostgresProjectionStore implements ProjectionStore {
  private readonly sql: ReturnType<typeof statements>;

  constructor(
    private readonly pool: Pool,
    schema: string,
    /** Throws when the store is closed. */
    private readonly assertOpen: () => void,
  ) {
    this.sql = statements(quoteIdentifier(schema));
  }

  record(name: string): Promise<ProjectionRecord | undefined> {
    return this.query(async () => {
      const result = await this.pool.query<{ record: string }>(this.sql.record, [nameToColumn(name)]);
      const row = result.rows[0];
      return row === undefined ? undefined : (JSON.parse(row.record) as ProjectionRecord);
    });
  }

  /** The value, or undefined when the key has none (ProjectionValue is `unknown`, which holds undefined). */
  get(name: string, key: string): Promise<ProjectionValue> {
    return this.query(async () => {
      const result = await this.pool.query<{ value: string }>(this.sql.get, [nameToColumn(name), keyHash(key)]);
      const row = result.rows[0];
      return row === undefined ? undefined : (JSON.parse(row.value) as ProjectionValue);
    });
  }

  entries(name: string, after: string | undefined, limit: number): Promise<ProjectionEntry[]> {
    return this.query(async () => {
      if (limit <= 0) return [];
      const result =
        after === undefined
          ? await this.pool.query<{ key: string; value: string }>(this.sql.entries, [nameToColumn(name), limit])
          : await this.pool.query<{ key: string; value: string }>(this.sql.entriesAfter, [nameToColumn(name), nameToColumn(after), limit]);
      return result.rows.map((row) => ({ key: nameFromColumn(row.key), value: JSON.parse(row.value) as ProjectionValue }));
    });
  }

  commit(name: string, changes: readonly ProjectionChange[], record: ProjectionRecord, expected: number | undefined): Promise<boolean> {
    return this.query(async () => {
      // Checked and encoded before the transaction: a value too large writes nothing.
      const texts = changesAsText(name, changes);
      const recordText = recordAsText(name, record);
      const column = nameToColumn(name);
      return this.transaction(async (client) => {
        const claimed =
          expected === undefined
            ? await client.query(this.sql.create, [column, record.revision, recordText])
            : await client.query(this.sql.update, [column, record.revision, recordText, expected]);
        if ((claimed.rowCount ?? 0) === 0) return false;
        const puts = texts.filter((change) => change.text !== undefined);
        const removes = texts.filter((change) => change.text === undefined);
        if (puts.length > 0) {
          await client.query(this.sql.put, [
            column,
            puts.map((change) => keyHash(change.key)),
            puts.map((change) => nameToColumn(change.key)),
            puts.map((change) => change.text),
          ]);
        }
        if (removes.length > 0) await client.query(this.sql.remove, [column, removes.map((change) => keyHash(change.key))]);
        return true;
      });
    });
  }

  reset(name: string): Promise<void> {
    return this.query(async () => {
      const column = nameToColumn(name);
      await this.transaction(async (client) => {
        // The record first: its row lock waits for a commit in flight, whose values then go too.
        await client.query(this.sql.resetRecord, [column]);
        await client.query(this.sql.resetValues, [column]);
        return true;
      });
    });
  }

  list(): Promise<string[]> {
    return this.query(async () => {
      const result = await this.pool.query<{ name: string }>(this.sql.list);
      return result.rows.map((row) => nameFromColumn(row.name));
    });
  }

  /** Runs `work` in a transaction on a connection of its own: committed when it answers true, rolled back otherwise. */
  private async transaction(work: (client: PoolClient) => Promise<boolean>): Promise<boolean> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const done = await work(client);
      await client.query(done ? 'COMMIT' : 'ROLLBACK');
      return done;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollback: unknown) => {
        // A connection that cannot roll back is not given back to the pool.
        broken = rollback instanceof Error ? rollback : new Error(String(rollback));
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  private async query<T>(run: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await run();
    } catch (error) {
      if (error instanceof TauonError) throw error;
      throw new TauonError('internal', `postgres store (projections): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}

/** The row's identity within its projection: the SHA-256 of the key's UTF-16 code units (one per JavaScript string). */
function keyHash(key: string): Buffer {
  return createHash('sha256').update(key, 'utf16le').digest();
}

/** The SQL of the projection store, for the schema whose quoted name is `s`. */
function statements(s: string) {
  const head = `left(key, ${ORDER_HEAD})`;
  const headOf = (parameter: string) => `left(${parameter}::text COLLATE "C", ${ORDER_HEAD})`;
  return {
    record: `SELECT record FROM ${s}.projections WHERE name = $1`,
    get: `SELECT value FROM ${s}.projection_values WHERE name = $1 AND key_hash = $2`,
    entries: `SELECT key, value FROM ${s}.projection_values WHERE name = $1 ORDER BY ${head}, key LIMIT $2`,
    // The first condition is the index's; the second the exact one.
    entriesAfter: `SELECT key, value FROM ${s}.projection_values
                   WHERE name = $1 AND ${head} >= ${headOf('$2')} AND (${head} > ${headOf('$2')} OR key > $2::text COLLATE "C")
                   ORDER BY ${head}, key LIMIT $3`,
    create: `INSERT INTO ${s}.projections (name, revision, record) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
    update: `UPDATE ${s}.projections SET revision = $2, record = $3 WHERE name = $1 AND revision = $4`,
    put: `INSERT INTO ${s}.projection_values (name, key_hash, key, value)
          SELECT $1, h, k, v FROM unnest($2::bytea[], $3::text[], $4::text[]) AS t(h, k, v)
          ON CONFLICT (name, key_hash) DO UPDATE SET value = excluded.value`,
    remove: `DELETE FROM ${s}.projection_values WHERE name = $1 AND key_hash = ANY($2::bytea[])`,
    resetRecord: `DELETE FROM ${s}.projections WHERE name = $1`,
    resetValues: `DELETE FROM ${s}.projection_values WHERE name = $1`,
    list: `SELECT name FROM ${s}.projections ORDER BY name`,
  };
}
