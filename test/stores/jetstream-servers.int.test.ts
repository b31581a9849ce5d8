import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import type { StoredEvent } from '../../protocol/frames.js';
import type { ClientTransport } from '../../transports/transport.js';
import { startServer, type RunningServer } from '../support/harness.js';
import { TestStores, natsAvailable } from './jetstream-fixture.js';
import { until as waitUntil } from '../support/until.js';

// Stateless reference servers in front of one JetStream: a client whose server goes away
// reconnects to another one and resumes from its last position there. Both servers number
// events alike (seq per stream, pos from the JetStream sequence), so a position taken from one
// is valid on the other.

const available = await natsAvailable();
const stores = new TestStores();

/** The shared wait, with this file's time limit. */
const until = (done: () => boolean, what: string, timeoutMs = 20_000): Promise<void> => waitUntil(done, what, timeoutMs);

describe.skipIf(!available)('reference servers on one JetStream', { timeout: 60_000 }, () => {
  const cleanup: (() => Promise<unknown>)[] = [];

  afterEach(async () => {
    for (const close of cleanup.splice(0).reverse()) await close();
  });

  afterAll(() => stores.deleteAll());

  it('a subscriber whose server goes away resumes on another server: no gap, no duplicate, for a stream and for $all', async () => {
    const names = stores.fresh();
    const storeA = await stores.open(names);
    cleanup.push(() => storeA.close());
    const storeB = await stores.open(names);
    cleanup.push(() => storeB.close());
    let serverA: RunningServer | undefined = await startServer('memory', { store: storeA });
    cleanup.push(() => serverA?.close() ?? Promise.resolve());
    const serverB = await startServer('memory', { store: storeB });
    cleanup.push(() => serverB.close());

    // The consumer's way in: server A while it runs, then server B (a load balancer, in effect).
    let target: RunningServer = serverA;
    const failover: ClientTransport = { description: 'server A, then server B', connect: () => target.connect() };
    const producer: Client = await connect(serverB.transport);
    cleanup.push(() => producer.close());
    const consumer: Client = await connect(failover, { reconnect: { initialDelayMs: 5, maxDelayMs: 50 } });
    cleanup.push(() => consumer.close());

    for (let batch = 0; batch < 3; batch++) {
      await producer.emit('journal', Array.from({ length: 100 }, (_, i) => ({ type: 'Old', data: batch * 100 + i + 1 })));
      await producer.emit('other', [{ type: 'Noise', data: batch }]);
    }
    const journal: StoredEvent[] = [];
    const all: StoredEvent[] = [];
    const journalSubscription = consumer.subscribe('journal', { mode: 'hot-cold' }).subscribe({ next: (event) => journal.push(event) });
    const allSubscription = consumer.subscribe('$all', { mode: 'hot-cold' }).subscribe({ next: (event) => all.push(event) });
    cleanup.push(() => {
      journalSubscription.unsubscribe();
      allSubscription.unsubscribe();
      return Promise.resolve();
    });
    await until(() => journal.length === 300 && all.length === 303, 'the history through server A');

    // Server A goes away for good; the consumer lands on server B.
    target = serverB;
    await serverA.close();
    serverA = undefined;

    for (let i = 0; i < 100; i++) {
      await producer.emit('journal', [{ type: 'New', data: 301 + 2 * i }, { type: 'New', data: 302 + 2 * i }]);
      if (i % 25 === 0) await producer.emit('other', [{ type: 'Noise', data: i }]);
    }
    await until(() => journal.length === 500 && all.length === 507, 'the live events through server B');

    expect(journal.map((e) => e.seq), 'the stream: 1..500, each once, in order').toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(journal.map((e) => e.data), 'and the events as emitted').toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    const stored = await storeB.readAll(1, 'forward', 1000);
    expect(all.map((e) => e.pos), '$all: every event once, in position order, across the switch').toEqual(stored.map((e) => e.pos));
  });
});
