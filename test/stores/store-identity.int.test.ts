import { open, type DatabaseOptions } from 'lmdb';
import { Client } from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { PostgresStore } from '../../server-reference/stores/postgres/postgres-store.js';
import { MIGRATIONS, migrate } from '../../server-reference/stores/postgres/schema.js';
import { RoutingStore } from '../../server-reference/stores/routing/routing-store.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { tempDir } from '../support/temp-dir.js';
import { TestStores, natsAvailable } from './jetstream-fixture.js';
import { POSTGRES_URL, TestSchemas, postgresAvailable, runSql } from './postgres-fixture.js';

// The store identity (EventStore.id, SPEC 6.5.1 `store`): kept in the store, the same for every
// open of it, another for another store, and made for a store written before identities.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function appendOne(store: EventStore, stream: string, id: string): Promise<void> {
  const [outcome] = await store.append([{ stream, events: [{ id, type: 'Made' }], expected: 'any', dedupe: false }]);
  expect(outcome?.ok, `the append of ${id} is written`).toBe(true);
}

describe('store identity: lmdb', () => {
  let directory: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    directory = await tempDir('identity');
  });
  afterEach(async () => {
    await directory.remove();
  });

  it('is a UUID kept in the directory: a reopen reads the same, another directory has another', async () => {
    const first = await LmdbStore.open(`${directory.path}/a`);
    const id = first.id;
    await appendOne(first, 'identity', 'e1');
    await first.close();
    expect(id, 'a fresh store makes a UUID').toMatch(UUID);
    const again = await LmdbStore.open(`${directory.path}/a`);
    expect(again.id, 'the reopened directory keeps its identity').toBe(id);
    await again.close();
    const other = await LmdbStore.open(`${directory.path}/b`);
    expect(other.id, 'another directory is another store').not.toBe(id);
    await other.close();
  });

  it('a directory written before identities gets one on first open, keeps it, and loses no event', async () => {
    const path = `${directory.path}/old`;
    const store = await LmdbStore.open(path);
    await appendOne(store, 'old', 'o1');
    await store.close();
    // Take the identity away, as a directory of an earlier version never had it.
    const root = open(path, { maxDbs: 8, pageSize: 8192 });
    const meta = root.openDB({ name: 'meta', encoder: { useRecords: false } } as DatabaseOptions & { name: string });
    await meta.remove('store');
    await root.close();

    const migrated = await LmdbStore.open(path);
    const made = migrated.id;
    expect(made, 'an identity is made on open').toMatch(UUID);
    expect((await migrated.readStream('old', 1, 'forward', 10)).map((e) => e.id), 'the events are untouched').toEqual(['o1']);
    await migrated.close();
    const reopened = await LmdbStore.open(path);
    expect(reopened.id, 'the identity made is kept').toBe(made);
    await reopened.close();
  });
});

describe('store identity: memory and routing', () => {
  it('each MemoryStore is a store of its own', () => {
    expect(new MemoryStore().id, 'a UUID').toMatch(UUID);
    expect(new MemoryStore().id, 'two instances differ').not.toBe(new MemoryStore().id);
  });

  it('a routing store derives its identity from its stores and routes: stable, and another when one changes', () => {
    const main = new MemoryStore();
    const orders = new MemoryStore();
    const make = (routes: { prefix: string; store: EventStore }[], fallback: EventStore = main) => new RoutingStore({ routes, fallback }).id;
    const id = make([{ prefix: 'orders.', store: orders }]);
    expect(id, 'a UUID').toMatch(UUID);
    expect(make([{ prefix: 'orders.', store: orders }]), 'the same stores under the same routes: the same id').toBe(id);
    expect(id, 'not the id of a store behind it').not.toBe(main.id);
    expect(make([{ prefix: 'orders.', store: new MemoryStore() }]), 'a store behind it replaced: another id').not.toBe(id);
    expect(make([{ prefix: 'order.', store: orders }]), 'a route changed: another id').not.toBe(id);
    expect(make([{ prefix: 'orders.', store: orders }], new MemoryStore()), 'the fallback replaced: another id').not.toBe(id);
    const two = [
      { prefix: 'a.', store: orders },
      { prefix: 'b.', store: new MemoryStore() },
    ];
    expect(make([...two].reverse()), 'the order routes are given in does not matter').toBe(make(two));
  });
});

const postgres = await postgresAvailable();

describe.skipIf(!postgres)('store identity: postgres', () => {
  const schemas = new TestSchemas();
  afterAll(() => schemas.dropAll());

  it('kept in the schema: servers opening it at once, and later, read the same; another schema has another', async () => {
    const schema = schemas.fresh('ident');
    const [a, b] = await Promise.all([PostgresStore.open(POSTGRES_URL, { schema }), PostgresStore.open(POSTGRES_URL, { schema })]);
    expect(a.id, 'a UUID').toMatch(UUID);
    expect(b.id, 'two servers opening one schema at once agree').toBe(a.id);
    await Promise.all([a.close(), b.close()]);
    const again = await PostgresStore.open(POSTGRES_URL, { schema });
    expect(again.id, 'a later open reads the same').toBe(a.id);
    await again.close();
    const other = await PostgresStore.open(POSTGRES_URL, { schema: schemas.fresh('ident') });
    expect(other.id, 'another schema is another store').not.toBe(a.id);
    await other.close();
  });

  it('a schema of version 1 (before identities) is migrated: an identity is made and kept, no event lost', async () => {
    const schema = schemas.fresh('ident');
    const client = new Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      await migrate(client, schema, MIGRATIONS.slice(0, 1));
    } finally {
      await client.end();
    }
    expect(await runSql(`SELECT to_regclass($1) AS meta`, [`"${schema}".meta`]), 'version 1 has no meta table').toEqual([{ meta: null }]);
    const store = await PostgresStore.open(POSTGRES_URL, { schema });
    expect(store.id, 'a UUID is made on first open').toMatch(UUID);
    await appendOne(store, 'old', `o-${schema}`);
    await store.close();
    const again = await PostgresStore.open(POSTGRES_URL, { schema });
    expect(again.id, 'and kept').toBe(store.id);
    expect((await again.readStream('old', 1, 'forward', 10)).length, 'the event is there').toBe(1);
    await again.close();
  });
});

const nats = await natsAvailable();

describe.skipIf(!nats)('store identity: jetstream', () => {
  const stores = new TestStores();
  afterAll(() => stores.deleteAll());

  it('kept in the id bucket: servers opening the store at once, and later, read the same; another store has another', async () => {
    const names = stores.fresh();
    const [a, b] = await Promise.all([stores.open(names), stores.open(names)]);
    expect(a.id, 'a UUID').toMatch(UUID);
    expect(b.id, 'two servers opening one store at once agree').toBe(a.id);
    await appendOne(a, 'kept', `k-${names.stream}`);
    await Promise.all([a.close(), b.close()]);
    const again = await stores.open(names);
    expect(again.id, 'a later open reads the same').toBe(a.id);
    await again.close();
    const other = await stores.open();
    expect(other.id, 'another store is another').not.toBe(a.id);
    await other.close();
  });
});
