import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { startServer, TRANSPORTS } from '../support/harness.js';
import { tempDir } from '../support/temp-dir.js';

describe.each(TRANSPORTS)('restarting the server on the same lmdb directory, over %s', (kind) => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    dir = await tempDir('restart');
  });
  afterEach(() => dir.remove());

  it('keeps every acked event, and continues seqs, positions and transactions', async () => {
    const acked = new Map<string, { stream: string; seq: number; pos: number }>();
    {
      const store = await LmdbStore.open(dir.path);
      const running = await startServer(kind, { store });
      const client = await connect(running.transport);
      const emits: Promise<void>[] = [];
      for (let i = 0; i < 3000; i += 1) {
        const stream = `restart-${i % 7}`;
        const id = `event-${i}`;
        emits.push(
          client.emit(stream, { id, type: 'Kept', data: { i } }).then((ack) => {
            acked.set(id, { stream, seq: ack.seq, pos: ack.pos });
          }),
        );
      }
      await Promise.all(emits);
      await client.close();
      await running.close();
      await store.close();
    }
    const store = await LmdbStore.open(dir.path);
    const running = await startServer(kind, { store });
    const client = await connect(running.transport);
    try {
      const found = new Map<string, { stream: string; seq: number; pos: number }>();
      let from: { after: number } | 'start' = 'start';
      for (let page = 0; page < 10; page += 1) {
        const result = await client.read('$all', { from, limit: 1000 });
        for (const event of result.events) found.set(event.id, { stream: event.stream, seq: event.seq, pos: event.pos });
        if (result.next === null) break;
        from = result.next as { after: number };
      }
      expect(found.size).toBe(acked.size);
      for (const [id, place] of acked) expect(found.get(id), id).toEqual(place);
      const next = await client.emit('restart-0', { type: 'After' });
      const head = Math.max(...[...acked.values()].map((place) => place.pos));
      expect(next.pos).toBe(head + 1);
      expect(next.seq).toBe(Math.max(...[...acked.values()].filter((p) => p.stream === 'restart-0').map((p) => p.seq)) + 1);
      const info = (await client.streams({ prefix: 'restart-0' })).streams[0]!;
      expect(info.tx).toBe(next.tx);
    } finally {
      await client.close();
      await running.close();
      await store.close();
    }
  }, 60_000);
});
