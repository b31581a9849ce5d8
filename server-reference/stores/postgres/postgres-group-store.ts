import type { Pool } from 'pg';
import { TauonError } from '../../../protocol/errors.js';
import type { GroupState, GroupStore, ParkedEvent, VersionedGroupState } from '../../groups/group-store.js';
import { nameFromColumn, nameToColumn, quoteIdentifier } from './names.js';

/** A revision as this store hands them out: a bigint of the `group_revision` sequence. */
const REVISION = /^[1-9][0-9]{0,17}$/;

/**
 * Consumer groups' coordination state in the PostgreSQL store's schema (SPEC 17), in the tables
 * of migration 3: `consumer_groups` (one row per group: its document as JSON text and its
 * revision) and `parked_events` (one row per parked event, keyed by group and position).
 *
 * Every method is one statement, so servers in front of one database see one state without a
 * lock of their own: a create is `INSERT ... ON CONFLICT DO NOTHING` (of creates at once, one
 * inserts and the others find its row), an update is `UPDATE ... WHERE rev = expected` (an update
 * that waited for another's row lock checks the revision again, finds it moved, and writes
 * nothing). Revisions come from one sequence, so none is handed out twice, not even for a group
 * deleted and made again.
 *
 * The document is JSON text, not jsonb: jsonb refuses `\u0000`, which names (member ids, filter
 * types and keys) may hold. Group names are stored as `nameToColumn` writes them.
 */
export class PostgresGroupStore implements GroupStore {
  private readonly sql: ReturnType<typeof statements>;

  constructor(
    private readonly pool: Pool,
    schema: string,
    /** Throws when the store is closed. */
    private readonly assertOpen: () => void,
  ) {
    this.sql = statements(quoteIdentifier(schema));
  }

  load(group: string): Promise<VersionedGroupState | undefined> {
    return this.query(async () => {
      const result = await this.pool.query<{ rev: number; state: string }>(this.sql.load, [nameToColumn(group)]);
      const row = result.rows[0];
      return row === undefined ? undefined : { state: JSON.parse(row.state) as GroupState, revision: String(row.rev) };
    });
  }

  save(group: string, state: GroupState, expected: string | undefined): Promise<string | undefined> {
    return this.query(async () => {
      if (expected !== undefined && !REVISION.test(expected)) return undefined;
      const values = [nameToColumn(group), JSON.stringify(state)];
      const result =
        expected === undefined
          ? await this.pool.query<{ rev: number }>(this.sql.create, values)
          : await this.pool.query<{ rev: number }>(this.sql.update, [...values, expected]);
      const row = result.rows[0];
      return row === undefined ? undefined : String(row.rev);
    });
  }

  list(): Promise<string[]> {
    return this.query(async () => {
      const result = await this.pool.query<{ name: string }>(this.sql.list);
      return result.rows.map((row) => nameFromColumn(row.name));
    });
  }

  delete(group: string): Promise<boolean> {
    return this.query(async () => {
      const result = await this.pool.query(this.sql.delete, [nameToColumn(group)]);
      return (result.rowCount ?? 0) > 0;
    });
  }

  park(group: string, event: ParkedEvent): Promise<void> {
    return this.query(async () => {
      await this.pool.query(this.sql.park, [nameToColumn(group), event.position, event.part, JSON.stringify(event)]);
    });
  }

  parked(group: string, after: number, limit: number, part?: number): Promise<ParkedEvent[]> {
    return this.query(async () => {
      if (limit <= 0) return [];
      const result =
        part === undefined
          ? await this.pool.query<{ body: string }>(this.sql.parked, [nameToColumn(group), after, limit])
          : await this.pool.query<{ body: string }>(this.sql.parkedOfPart, [nameToColumn(group), after, limit, part]);
      return result.rows.map((row) => JSON.parse(row.body) as ParkedEvent);
    });
  }

  unpark(group: string, position: number): Promise<boolean> {
    return this.query(async () => {
      const result = await this.pool.query(this.sql.unpark, [nameToColumn(group), position]);
      return (result.rowCount ?? 0) > 0;
    });
  }

  parkedCounts(group: string): Promise<Map<number, number>> {
    return this.query(async () => {
      const result = await this.pool.query<{ part: number; count: number }>(this.sql.counts, [nameToColumn(group)]);
      return new Map(result.rows.map((row) => [row.part, row.count]));
    });
  }

  private async query<T>(run: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await run();
    } catch (error) {
      if (error instanceof TauonError) throw error;
      throw new TauonError('internal', `postgres store (groups): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}

/** The SQL of the group store, for the schema whose quoted name is `s`. */
function statements(s: string) {
  // The sequence's name as a string literal (a schema name may hold a quote).
  const revision = `'${`${s}.group_revision`.replaceAll("'", "''")}'`;
  return {
    load: `SELECT rev, state FROM ${s}.consumer_groups WHERE name = $1`,
    create: `INSERT INTO ${s}.consumer_groups (name, rev, state) VALUES ($1, nextval(${revision}), $2)
             ON CONFLICT (name) DO NOTHING RETURNING rev`,
    update: `UPDATE ${s}.consumer_groups SET rev = nextval(${revision}), state = $2
             WHERE name = $1 AND rev = $3::bigint RETURNING rev`,
    list: `SELECT name FROM ${s}.consumer_groups ORDER BY name`,
    // One statement: the document and its parked events go together or not at all.
    delete: `WITH parked AS (DELETE FROM ${s}.parked_events WHERE group_name = $1)
             DELETE FROM ${s}.consumer_groups WHERE name = $1`,
    park: `INSERT INTO ${s}.parked_events (group_name, pos, part, body) VALUES ($1, $2, $3, $4)
           ON CONFLICT (group_name, pos) DO UPDATE SET part = excluded.part, body = excluded.body`,
    parked: `SELECT body FROM ${s}.parked_events WHERE group_name = $1 AND pos > $2 ORDER BY pos LIMIT $3`,
    parkedOfPart: `SELECT body FROM ${s}.parked_events WHERE group_name = $1 AND part = $4 AND pos > $2 ORDER BY pos LIMIT $3`,
    unpark: `DELETE FROM ${s}.parked_events WHERE group_name = $1 AND pos = $2`,
    counts: `SELECT part, count(*)::integer AS count FROM ${s}.parked_events WHERE group_name = $1 GROUP BY part`,
  };
}
