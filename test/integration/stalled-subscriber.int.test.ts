import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { settledHeap } from '../support/heap.js';
import { startServer, TRANSPORTS, type RunningServer } from '../support/harness.js';
import { tempDir } from '../support/temp-dir.js';

const BACKLOG = 100_000;
/** What the whole process (server, both clients) may grow by while the subscriber is stalled. */
const HEAP_CEILING = 16 * 1024 * 1024;

describe.each(TRANSPORTS)('a stalled subscriber over %s', (kind) => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: LmdbStore;
  let running: RunningServer;
  let producer: Client;
  let consumer: Client;
  beforeEach(async () => {
    dir = await tempDir('stalled');
    store = await LmdbStore.open(dir.path);
    running = await startServer(kind, { store });
    producer = await connect(running.transport);
    consumer = await connect(running.transport, { prefetch: 500 });
  });
  afterEach(async () => {
    await producer.close();
    await consumer.close();
    await running.close();
    await store.close();
    await dir.remove();
  });

  it('holds no more than its credit while 100,000 events are appended, then gets them all in order', async () => {
    await producer.emit('firehose', { type: 'First', data: 0 });
    const events = consumer.iterate('firehose', { mode: 'hot-cold' });
    const first = await events.next();
    if (first.done === true) throw new Error('the subscription ended');
    expect(first.value.seq).toBe(1);
    const before = await settledHeap();
    // About 200 bytes of data per event: 20 MB of payload that must not pile up in memory.
    const payload = 'p'.repeat(180);
    for (let start = 0; start < BACKLOG; start += 1000) {
      await producer.emit('firehose', Array.from({ length: 1000 }, (_, i) => ({ type: 'Bulk', data: { n: start + i + 2, payload } })));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await settledHeap();
    console.log(`${kind}: heap grew by ${((after - before) / 1e6).toFixed(1)} MB while the subscriber was stalled`);
    expect(after - before, `heap grew by ${Math.round((after - before) / 1e6)} MB`).toBeLessThan(HEAP_CEILING);
    let expected = 2;
    for (;;) {
      const next = await events.next();
      if (next.done === true) throw new Error(`the subscription ended before seq ${expected}`);
      if (next.value.seq !== expected) throw new Error(`expected seq ${expected}, got ${next.value.seq}`);
      if (expected === BACKLOG + 1) break;
      expected += 1;
    }
    await events.return?.();
  }, 120_000);
});
