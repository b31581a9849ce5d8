import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, describe, expect, it } from 'vitest';
import { JetStreamStore, redactNatsUrl } from '../../server-reference/stores/jetstream/jetstream-store.js';
import { NATS_URL, TestStores, natsAvailable } from './jetstream-fixture.js';

const available = await natsAvailable();

/** The error a promise rejects with (failing the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected a rejection');
}
const stores = new TestStores();

describe('jetstream store: opening', () => {
  it('refuses names JetStream or the subject scheme cannot take, before connecting', async () => {
    const badStream = await rejection(JetStreamStore.open('nats://127.0.0.1:1', { stream: 'has.dot' }));
    expect(badStream.code).toBe('internal');
    expect(badStream.message).toContain('stream name');
    expect((await rejection(JetStreamStore.open('nats://127.0.0.1:1', { subjectPrefix: 'a.>' }))).message).toContain('subject prefix');
    // The subjects of every store's projections start with it: a store of events there would overlap them.
    expect((await rejection(JetStreamStore.open('nats://127.0.0.1:1', { subjectPrefix: '_tauon_projections.x' }))).message).toContain('subject prefix');
    expect((await rejection(JetStreamStore.open('nats://127.0.0.1:1', { replicas: 4.5 }))).message).toContain('replicas');
  });

  it('says where it could not connect, without the password', async () => {
    const failure = await rejection(JetStreamStore.open('nats://user:secret@127.0.0.1:1'));
    expect(failure.code).toBe('internal');
    expect(failure.message).toContain('127.0.0.1:1');
    expect(failure.message).not.toContain('secret');
    expect(redactNatsUrl('nats://token@host:4222')).not.toContain('token');
  });

  it.skipIf(!available)('will not take over a JetStream stream that holds other subjects', async () => {
    const names = stores.fresh();
    const nc = await connect({ servers: NATS_URL, noAsyncTraces: true });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: names.stream, subjects: [`${names.subjectPrefix}-other.>`] });
      const refused = await rejection(stores.open(names));
      expect(refused.code).toBe('internal');
      expect(refused.message).toContain(`${names.subjectPrefix}.>`);
    } finally {
      await nc.close();
    }
  });

  it.skipIf(!available)('creates the stream append-only, with the replicas and duplicate window asked for', async () => {
    const names = stores.fresh();
    const store = await stores.open(names, { duplicateWindowMs: 30_000 });
    await store.close();
    const nc = await connect({ servers: NATS_URL, noAsyncTraces: true });
    try {
      const info = await (await jetstreamManager(nc)).streams.info(names.stream);
      expect(info.config).toMatchObject({
        subjects: [`${names.subjectPrefix}.>`],
        num_replicas: 1,
        duplicate_window: 30_000 * 1_000_000,
        deny_delete: true,
        deny_purge: true,
      });
    } finally {
      await nc.close();
    }
  });

  afterAll(() => stores.deleteAll());
});
