import { Client } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../server-reference/stores/postgres/postgres-store.js';
import { MIGRATIONS, migrate, type Migration } from '../../server-reference/stores/postgres/schema.js';
import { POSTGRES_URL, TestSchemas, postgresAvailable, runSql } from './postgres-fixture.js';

const available = await postgresAvailable();
const schemas = new TestSchemas();

/** A later migration, as a future version of the store would add it. */
const ADD_NOTE: Migration = {
  version: MIGRATIONS.length + 1,
  description: 'test: a note per stream',
  statements: (schema) => [`ALTER TABLE ${schema}.streams ADD COLUMN note text`],
};

async function withClient<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

async function versionsOf(schema: string): Promise<number[]> {
  const rows = await runSql<{ version: number }>(`SELECT version FROM "${schema}".schema_version ORDER BY version`);
  return rows.map((row) => row.version);
}

async function tablesOf(schema: string): Promise<string[]> {
  const rows = await runSql<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
    [schema],
  );
  return rows.map((row) => row.name);
}

describe.skipIf(!available)('postgres store: schema and migrations', () => {
  afterAll(() => schemas.dropAll());

  it('creates the schema and its tables on first use and records the version', async () => {
    const schema = schemas.fresh();
    const store = await PostgresStore.open(POSTGRES_URL, { schema });
    await store.close();
    expect(await tablesOf(schema), 'the tables of the store').toEqual([
      'consumer_groups',
      'events',
      'meta',
      'parked_events',
      'projection_values',
      'projections',
      'schema_version',
      'streams',
      'surface',
    ]);
    expect(await versionsOf(schema), 'schema_version lists every migration applied').toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('a reopened store keeps its events and continues positions, seqs and transactions', async () => {
    const schema = schemas.fresh();
    const first = await PostgresStore.open(POSTGRES_URL, { schema });
    await first.append([{ stream: 's', events: [{ id: 'e1', type: 'T' }, { id: 'e2', type: 'T' }], expected: 'none', dedupe: false }]);
    await first.close();
    const reopened = await PostgresStore.open(POSTGRES_URL, { schema });
    try {
      expect((await reopened.findEvent('e2'))?.pos, 'the events survive').toBe(2);
      const [next] = await reopened.append([{ stream: 's', events: [{ id: 'e3', type: 'T' }], expected: 2, dedupe: false }]);
      expect(next, 'appends continue where the store was').toMatchObject({ ok: true, seqs: [3], positions: [3], tx: 2 });
      expect(await versionsOf(schema), 'opening again applies nothing twice').toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await reopened.close();
    }
  });

  it('a schema of the version before projections (3) upgrades on open: its events and groups stay, and projections work', async () => {
    const schema = schemas.fresh();
    const beforeProjections = MIGRATIONS.filter((m) => m.version <= 3);
    await withClient(async (client) => {
      await migrate(client, schema, beforeProjections);
      // What a store of that version wrote: an event and a consumer group.
      await client.query(`INSERT INTO "${schema}".events (pos, stream, seq, tx, id, recorded, body) VALUES (1, 's', 1, 1, 'e1', 1, '\\x80')`);
      await client.query(`INSERT INTO "${schema}".streams (stream, head, tx, last_pos, last_recorded) VALUES ('s', 1, 1, 1, 1)`);
      await client.query(`INSERT INTO "${schema}".consumer_groups (name, rev, state) VALUES ('g', nextval('"${schema}".group_revision'), '{"v":1}')`);
    });
    const store = await PostgresStore.open(POSTGRES_URL, { schema });
    try {
      expect(await versionsOf(schema), 'the missing migration is applied').toEqual(MIGRATIONS.map((m) => m.version));
      expect((await store.streamInfo('s'))?.head, 'the events stay').toBe(1);
      expect((await store.groups.load('g'))?.state, 'the groups stay').toEqual({ v: 1 });
      const record = { v: 1, revision: 1, checkpoint: 1, definition: 'd', status: 'running', error: null, updated: 1 } as const;
      expect(await store.projections.commit('p', [{ key: 'k', value: 1 }], record, undefined), 'a projection commits').toBe(true);
      expect(await store.projections.get('p', 'k'), 'and reads back').toBe(1);
    } finally {
      await store.close();
    }
  });

  it('migrate applies the migrations a schema lacks, in order, and records them', async () => {
    const schema = schemas.fresh();
    const store = await PostgresStore.open(POSTGRES_URL, { schema });
    await store.close();
    const result = await withClient((client) => migrate(client, schema, [...MIGRATIONS, ADD_NOTE]));
    expect(result, 'from the current version to the new one').toEqual({ from: MIGRATIONS.length, to: ADD_NOTE.version });
    expect(await versionsOf(schema), 'the new version is recorded').toEqual([...MIGRATIONS, ADD_NOTE].map((m) => m.version));
    const columns = await runSql<{ name: string }>(
      "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'streams'",
      [schema],
    );
    expect(columns.map((c) => c.name), 'the migration ran').toContain('note');
    const again = await withClient((client) => migrate(client, schema, [...MIGRATIONS, ADD_NOTE]));
    expect(again, 'an up-to-date schema is left alone').toEqual({ from: ADD_NOTE.version, to: ADD_NOTE.version });
  });

  it('a schema newer than the server knows is refused, with both versions in the error, and left unchanged', async () => {
    const schema = schemas.fresh();
    await withClient((client) => migrate(client, schema, [...MIGRATIONS, ADD_NOTE]));
    const opening = PostgresStore.open(POSTGRES_URL, { schema });
    await expect(opening, 'open refuses the schema').rejects.toMatchObject({
      code: 'internal',
      details: { schema, version: ADD_NOTE.version, known: MIGRATIONS.length },
    });
    await expect(opening, 'the message says what to do').rejects.toThrow(/newer than this server knows/);
    expect(await versionsOf(schema), 'nothing changed').toEqual([...MIGRATIONS, ADD_NOTE].map((m) => m.version));
  });

  it('servers opening a new schema at the same time all succeed and migrate it once', async () => {
    const schema = schemas.fresh();
    const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open(POSTGRES_URL, { schema, poolSize: 2 })));
    await Promise.all(stores.map((store) => store.close()));
    expect(await versionsOf(schema), 'each migration recorded once').toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('a migration list whose versions do not run 1, 2, 3... is refused before anything runs', async () => {
    const schema = schemas.fresh();
    const skipping: Migration = { ...ADD_NOTE, version: ADD_NOTE.version + 1 };
    await expect(withClient((client) => migrate(client, schema, [...MIGRATIONS, skipping])), 'a gap in the versions').rejects.toThrow(
      /versions run 1, 2, 3/,
    );
    expect(await tablesOf(schema), 'no schema was created').toEqual([]);
  });

  it('refuses schema names PostgreSQL cannot hold, and a database it cannot reach, without showing the password', async () => {
    await expect(PostgresStore.open(POSTGRES_URL, { schema: '' }), 'an empty schema name').rejects.toMatchObject({ code: 'internal' });
    await expect(PostgresStore.open(POSTGRES_URL, { schema: 'x'.repeat(64) }), 'a schema name over 63 bytes').rejects.toMatchObject({
      code: 'internal',
    });
    // Port 1 on this machine: nothing listens, the connection is refused at once.
    const opening = PostgresStore.open('postgres://someone:secret-password@127.0.0.1:1/test', { schema: schemas.fresh() });
    await expect(opening, 'an unreachable database').rejects.toMatchObject({ code: 'internal' });
    const error = (await opening.then(
      () => undefined,
      (reason: unknown) => reason,
    )) as Error;
    expect(error.message, 'the error names the database').toContain('127.0.0.1:1');
    expect(error.message, 'but not the password').not.toContain('secret-password');
  });
});
