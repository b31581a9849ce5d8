import { afterAll, describe, expect, it } from 'vitest';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { PostgresStore } from '../../server-reference/stores/postgres/postgres-store.js';
import { RoutingStore } from '../../server-reference/stores/routing/routing-store.js';
import { TestStores, natsAvailable } from '../stores/jetstream-fixture.js';
import { POSTGRES_URL, TestSchemas, postgresAvailable } from '../stores/postgres-fixture.js';
import { tempDir } from '../support/temp-dir.js';

const pgUp = await postgresAvailable();
const natsUp = await natsAvailable();
const schemas = new TestSchemas();
const jetStreams = new TestStores();
afterAll(async () => {
  if (pgUp) await schemas.dropAll();
  if (natsUp) await jetStreams.deleteAll();
});

/**
 * Three appends one after the other (three commits), and one with nothing new to write (an id
 * already stored): the store reports a duration for each commit that wrote, none once removed.
 */
async function reportsCommitDurations(store: EventStore): Promise<void> {
  const durations: number[] = [];
  const remove = store.onCommitDuration!((seconds) => durations.push(seconds));
  for (let n = 0; n < 3; n += 1) {
    const [outcome] = await store.append([{ stream: 'metered', events: [{ id: `e${n}`, type: 'Tick' }], expected: 'any', dedupe: false }]);
    expect(outcome!.ok).toBe(true);
  }
  expect(durations).toHaveLength(3);
  for (const seconds of durations) {
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(60);
  }
  remove();
  await store.append([{ stream: 'metered', events: [{ id: 'after', type: 'Tick' }], expected: 'any', dedupe: false }]);
  expect(durations).toHaveLength(3);
}

describe('EventStore.onCommitDuration: how long each commit took to become durable', () => {
  it('lmdb: the synced write transaction', async () => {
    const dir = await tempDir('commit-durations');
    const store = await LmdbStore.open(dir.path);
    try {
      await reportsCommitDurations(store);
    } finally {
      await store.close();
      await dir.remove();
    }
  });

  it.skipIf(!pgUp)('PostgreSQL: the write and COMMIT', async () => {
    const store = await PostgresStore.open(POSTGRES_URL, { schema: schemas.fresh() });
    try {
      await reportsCommitDurations(store);
    } finally {
      await store.close();
    }
  });

  it.skipIf(!natsUp)('JetStream: the publishes and their acks', async () => {
    const store = await jetStreams.open();
    try {
      await reportsCommitDurations(store);
    } finally {
      await store.close();
    }
  });

  it('a routing store: the durations of the stores behind it that report them', async () => {
    const dir = await tempDir('commit-durations-routing');
    const lmdb = await LmdbStore.open(dir.path);
    const memory = new MemoryStore();
    const store = new RoutingStore({ routes: [{ prefix: 'scratch.', store: memory }], fallback: lmdb });
    try {
      await reportsCommitDurations(store);
      // The memory store has no commit to wait for: it reports none.
      expect((memory as EventStore).onCommitDuration).toBeUndefined();
    } finally {
      await store.close();
      await dir.remove();
    }
  });
});
