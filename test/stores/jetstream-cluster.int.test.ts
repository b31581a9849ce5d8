import { afterEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../protocol/frames.js';
import { JetStreamStore } from '../../server-reference/stores/jetstream/jetstream-store.js';
import { NatsCluster, TestStores, natsServerBinary } from './jetstream-fixture.js';
import { runTauon, startServe } from '../support/cli-process.js';

// A replicated JetStream on one machine: three nats-server processes of this test's own, on
// free ports. What the store must survive is a node dying, in particular the one that leads
// its stream's replicas.

const binary = natsServerBinary();
if (binary === undefined) console.warn('[tauon] skipping the JetStream cluster tests: no nats-server binary (set TAUON_NATS_SERVER)');

/** Appends one event, retrying (same id) through errors until it is acknowledged (bounded). */
async function appendUntilAcked(store: JetStreamStore, stream: string, id: string, deadline: number): Promise<{ seq: number; pos: number }> {
  for (;;) {
    try {
      const [outcome] = await store.append([{ stream, events: [{ id, type: 'T', data: { id } }], expected: 'any', dedupe: false }]);
      if (outcome?.ok === true) return { seq: outcome.seqs[0]!, pos: outcome.positions[0]!};
      if (outcome?.ok === false && outcome.error.code !== 'internal' && outcome.error.code !== 'overloaded') throw outcome.error;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`append of ${id} not acknowledged in time`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.skipIf(binary === undefined)('jetstream store on a three-node JetStream cluster', { timeout: 120_000 }, () => {
  let cluster: NatsCluster | undefined;
  const stores: JetStreamStore[] = [];

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close().catch(() => undefined);
    await cluster?.stop();
    cluster = undefined;
  });

  it('with replicas 3, losing the node that leads the stream loses no acknowledged event, doubles none, and another server hears each once in order', async () => {
    cluster = await NatsCluster.start(binary!, 3);
    const names = new TestStores().fresh();
    const writer = await JetStreamStore.open(cluster.url, { ...names, replicas: 3 });
    stores.push(writer);
    const listener = await JetStreamStore.open(cluster.url, { ...names, replicas: 3 });
    stores.push(listener);
    const heard: StoredEvent[] = [];
    listener.onCommit((events) => heard.push(...events));

    const info = await cluster.streamInfo(names.stream);
    expect(info.config.num_replicas, 'the stream is replicated on every node').toBe(3);

    const deadline = Date.now() + 90_000;
    const acked = new Map<string, { seq: number; pos: number }>();
    let killed = '';
    for (let i = 0; i < 60; i++) {
      if (i === 20) {
        killed = await cluster.leaderOf(names.stream);
        await cluster.kill(killed);
      }
      const id = `e${i}`;
      const { seq, pos } = await appendUntilAcked(writer, `orders.${i % 3}`, id, deadline);
      acked.set(id, { seq, pos });
    }
    expect(await cluster.leaderOf(names.stream), 'another node leads the stream now').not.toBe(killed);

    const stored = await writer.readAll(1, 'forward', 1000);
    expect(stored.map((e) => e.id).sort(), 'every acknowledged event is stored, once').toEqual([...acked.keys()].sort());
    for (const event of stored) {
      expect({ seq: event.seq, pos: event.pos }, `${event.id} is where its ack said`).toEqual(acked.get(event.id));
    }
    for (const stream of ['orders.0', 'orders.1', 'orders.2']) {
      const seqs = stored.filter((e) => e.stream === stream).map((e) => e.seq);
      expect(seqs, `seqs of ${stream} stay dense`).toEqual(seqs.map((_, i) => i + 1));
    }
    const settle = Date.now() + 20_000;
    while (heard.length < stored.length && Date.now() < settle) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(heard, 'the other server heard every event once, in position order, across the failover').toEqual(stored);

    // The node comes back and the cluster goes on; a server connected only to it reads everything.
    cluster.restart(killed);
    const settleNode = Date.now() + 30_000;
    let late: StoredEvent[] = [];
    while (Date.now() < settleNode) {
      try {
        const alone = await JetStreamStore.open(cluster.urlOf(killed), names);
        try {
          late = await alone.readAll(1, 'forward', 1000);
        } finally {
          await alone.close();
        }
        if (late.length === stored.length) break;
      } catch {
        // The node is still starting.
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(late, 'after the node returns, everything reads the same').toEqual(stored);
  });

  it("tauon serve takes the cluster as comma-separated nodes with ?replicas=, and its stream is replicated on every node", async () => {
    cluster = await NatsCluster.start(binary!, 3);
    const names = new TestStores().fresh();
    const serve = await startServe(['--store', `${cluster.url}?stream=${names.stream}&subjectPrefix=${names.subjectPrefix}&replicas=3`, '--port', '0'], 60_000);
    try {
      const emitted = await runTauon(['emit', '--url', serve.url, 'orders.1', 'Placed']);
      expect(emitted.stderr).toBe('');
      expect(JSON.parse(emitted.stdout)).toMatchObject({ stream: 'orders.1', seq: 1 });
    } finally {
      expect(await serve.stop()).toBe(0);
    }
    const info = await cluster.streamInfo(names.stream);
    expect(info.config.num_replicas, 'replicas from the URL').toBe(3);
    expect(info.state.messages, 'the event').toBe(1);
  });
});
