import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AppendRequest } from '../../server-reference/stores/event-store.js';
import { JetStreamStore } from '../../server-reference/stores/jetstream/jetstream-store.js';
import { FlakyLink, NATS_URL, TestStores, natsAvailable, type TestStoreNames } from './jetstream-fixture.js';
import { until as waitUntil } from '../support/until.js';

// What a server reads from JetStream through a connection that loses data: consumers deliver
// without acknowledgements, so a message the server sent into a dying connection is gone from
// the consumer's point of view. The store must notice and read it again, never skip it.

const available = await natsAvailable();
const stores = new TestStores();
const closers: (() => Promise<unknown>)[] = [];

async function openAt(url: string, names: TestStoreNames): Promise<JetStreamStore> {
  const store = await JetStreamStore.open(url, names);
  closers.push(() => store.close());
  return store;
}

async function link(): Promise<FlakyLink> {
  const flaky = await FlakyLink.to(NATS_URL);
  closers.push(() => flaky.close());
  return flaky;
}

function one(stream: string, id: string, data?: unknown): AppendRequest {
  return { stream, events: [{ id, type: 'T', data }], expected: 'any', dedupe: false };
}

/** The shared wait, with this file's time limit. */
const until = (done: () => boolean, what: string, timeoutMs = 15_000): Promise<void> => waitUntil(done, what, timeoutMs);

describe.skipIf(!available)('jetstream store: commit tail and reads over a lossy connection', { timeout: 60_000 }, () => {
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  afterAll(() => stores.deleteAll());

  it('a commit delivered into a connection that then drops is heard after the reconnect, without waiting for another commit', async () => {
    const names = stores.fresh();
    const flaky = await link();
    const writer = await openAt(NATS_URL, names);
    const follower = await openAt(flaky.url, names);
    const heard: string[] = [];
    follower.onCommit((events) => heard.push(...events.map((e) => e.id)));

    await writer.append([one('orders', 'e1')]);
    await until(() => heard.length === 1, 'the follower hearing e1');

    // The server hands e2 to the follower's consumer, but the bytes never arrive.
    flaky.dropServerBytesAfter(0);
    await writer.append([one('orders', 'e2')]);
    await until(() => flaky.dropped > 0, 'the delivery of e2 being lost');
    await new Promise((resolve) => setTimeout(resolve, 200));
    flaky.cut();

    await until(() => heard.length >= 2, 'the follower hearing e2 after reconnecting');
    expect(heard, 'every commit once, in order').toEqual(['e1', 'e2']);
  });

  it('a read whose messages are partly lost in a dropped connection returns every event, none skipped', async () => {
    const names = stores.fresh();
    const flaky = await link();
    const writer = await openAt(NATS_URL, names);
    // More messages than one pull asks for (one per stream here), so that some come after the loss.
    const count = 700;
    const outcomes = await Promise.all(Array.from({ length: count }, (_, i) => writer.append([one(`s.${i}`, `e${i}`, 'x'.repeat(1_000))])));
    expect(outcomes.every((o) => o[0]?.ok === true)).toBe(true);
    const reader = await openAt(flaky.url, names);

    flaky.dropServerBytesAfter(150_000);
    const read = reader.readAll(1, 'forward', 1_000);
    await until(() => flaky.dropped > 100_000, 'part of the read being lost');
    flaky.cut();
    const events = await read;

    const expected = await writer.readAll(1, 'forward', 1_000);
    expect(expected).toHaveLength(count);
    expect(events.map((e) => e.pos), 'every event once, in position order').toEqual(expected.map((e) => e.pos));
  });

  it('messages of other subjects on the same JetStream stream do not stop the commit tail', async () => {
    const names = stores.fresh();
    const nc = await connect({ servers: NATS_URL, noAsyncTraces: true });
    closers.push(() => nc.close());
    // A stream set up beforehand with a subject besides the store's (the store accepts it).
    await (await jetstreamManager(nc)).streams.add({ name: names.stream, subjects: [`${names.subjectPrefix}.>`, `${names.subjectPrefix}-audit.>`] });
    const store = await openAt(NATS_URL, names);
    const heard: string[] = [];
    store.onCommit((events) => heard.push(...events.map((e) => e.id)));

    await jetstream(nc).publish(`${names.subjectPrefix}-audit.login`, 'not an event of the store');
    const started = Date.now();
    const [outcome] = await store.append([one('orders', 'e1')]);
    expect(outcome?.ok).toBe(true);
    expect(Date.now() - started, 'the append is answered once the tail passed it, not after its time-out').toBeLessThan(5_000);
    await until(() => heard.length === 1, 'the commit being heard', 5_000);
    await store.append([one('orders', 'e2')]);
    await until(() => heard.length === 2, 'the next commit being heard', 5_000);
    expect(heard).toEqual(['e1', 'e2']);
  });
});
