import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeEventStore } from '../conformance/index.js';
import { LmdbStore } from '../../server-reference/stores/lmdb-store.js';

const directories: string[] = [];
function freshDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'tauon-lmdb-contract-'));
  directories.push(directory);
  return directory;
}

describeEventStore('lmdb', () => LmdbStore.open(freshDirectory()), { densePositions: true });

describe('lmdb store: a call that fails inside the write transaction', () => {
  it('is rolled back alone; calls sharing its commit are written and positions stay dense', async () => {
    const store = await LmdbStore.open(freshDirectory());
    try {
      // A key beyond LMDB's key size makes the surface-index write throw after the event and
      // the other indexes of the call were already written in the transaction.
      const hugeKey = 'k'.repeat(5000);
      const [before, failing, after] = await Promise.allSettled([
        store.append([{ stream: 'a', events: [{ id: 'a1', type: 'T' }], expected: 'any', dedupe: false }]),
        store.append([
          { stream: 'b', events: [{ id: 'b1', type: 'T' }], expected: 'any', dedupe: false },
          { stream: 'c', events: [{ id: 'c1', type: 'T', key: hugeKey }], expected: 'any', dedupe: false },
        ]),
        store.append([{ stream: 'a', events: [{ id: 'a2', type: 'T' }], expected: 'any', dedupe: false }]),
      ]);
      expect(before.status, 'the call before it commits').toBe('fulfilled');
      expect(after.status, 'the call after it commits').toBe('fulfilled');
      expect(failing.status, 'the failing call rejects').toBe('rejected');
      expect((failing as PromiseRejectedResult).reason, 'with an internal error').toMatchObject({ code: 'internal' });
      expect(await store.findEvent('b1'), 'nothing of the failed call is stored').toBeUndefined();
      expect(await store.streamInfo('b'), 'nothing of the failed call is stored').toBeUndefined();
      const all = await store.readAll(1, 'forward', 10);
      expect(all.map((e) => [e.id, e.pos]), 'positions stay dense around the rolled-back call').toEqual([
        ['a1', 1],
        ['a2', 2],
      ]);
      const next = await store.append([{ stream: 'b', events: [{ id: 'b2', type: 'T' }], expected: 'none', dedupe: false }]);
      expect(next[0], 'later appends continue normally').toMatchObject({ ok: true, seqs: [1], positions: [3], tx: 1 });
    } finally {
      await store.close();
    }
  });
});

afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});
