import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeEventStore } from '../conformance/index.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';

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

describe('lmdb store: a second writer on the same directory (not supported: one process writes)', () => {
  it('cannot overwrite stored events: an append at a position already taken fails, writes nothing, and a retry lands after them', async () => {
    const directory = freshDirectory();
    const first = await LmdbStore.open(directory);
    const second = await LmdbStore.open(directory);
    const append = (store: LmdbStore, id: string) => store.append([{ stream: 's', events: [{ id, type: 'T' }], expected: 'any', dedupe: false }]);
    try {
      await append(first, 'e1');
      await append(second, 'e2');
      // The first store's position counter still says 2, which the second store has used.
      await expect(append(first, 'e3'), 'the append at a taken position fails').rejects.toMatchObject({ code: 'internal' });
      const all = await second.readAll(1, 'forward', 10);
      expect(all.map((e) => [e.id, e.pos]), 'both stored events are intact').toEqual([
        ['e1', 1],
        ['e2', 2],
      ]);
      expect(await second.findEvent('e3'), 'nothing of the failed append is stored').toBeUndefined();
      const retried = await append(first, 'e3');
      expect(retried[0], 'the store reads the newest position again: a retry lands after both').toMatchObject({ ok: true, positions: [3] });
    } finally {
      await first.close();
      await second.close();
    }
  });
});

describe('lmdb store: ids after a reopen (lookups are skipped only for ids beyond every stored one)', () => {
  const one = (stream: string, id: string) => ({ stream, events: [{ id, type: 'T' }], expected: 'any' as const, dedupe: false });

  async function reopenedWith(ids: readonly string[]): Promise<{ store: LmdbStore; directory: string }> {
    const directory = freshDirectory();
    const first = await LmdbStore.open(directory);
    const [outcome] = await first.append([{ stream: 's', events: ids.map((id) => ({ id, type: 'T' })), expected: 'any', dedupe: false }]);
    expect(outcome?.ok).toBe(true);
    await first.close();
    return { store: await LmdbStore.open(directory), directory };
  }

  async function expectStored(store: LmdbStore, id: string, seq: number): Promise<void> {
    const [again] = await store.append([one('s', id)]);
    expect(again, `a resend of ${id} is answered with its original seq`).toMatchObject({ ok: true, seqs: [seq], dups: [0] });
    const [elsewhere] = await store.append([one('other', id)]);
    expect(elsewhere, `${id} in another stream`).toMatchObject({ ok: false, error: { code: 'duplicate-id' } });
  }

  it('finds the largest stored time-ordered id, and others, after a reopen', async () => {
    const ids = ['0190a0b0-c0d0-7000-8000-000000000001', '0190a0b0-c0d0-7000-8000-000000000002', '0190a0b0-c0d0-7000-8000-000000000003'];
    const { store } = await reopenedWith(ids);
    try {
      await expectStored(store, ids[2]!, 3);
      await expectStored(store, ids[0]!, 1);
      const [later] = await store.append([one('s', '0190a0b0-c0d0-7000-8000-000000000004')]);
      expect(later).toMatchObject({ ok: true, seqs: [4], dups: [] });
      await expectStored(store, '0190a0b0-c0d0-7000-8000-000000000004', 4);
    } finally {
      await store.close();
    }
  });

  it('steps over ids outside printable ASCII that sort after the largest plain one', async () => {
    const { store } = await reopenedWith(['a1', 'm2', 'zé', '~é', 'é', '\u{1F600}', 'm2\u0001']);
    try {
      await expectStored(store, 'm2', 2);
      await expectStored(store, 'zé', 3);
      await expectStored(store, 'm2\u0001', 7);
      const [above, below] = await store.append([one('s', 'n3'), one('s', 'b0')]);
      expect(above, 'a new id above the largest stored one').toMatchObject({ ok: true, seqs: [8], dups: [] });
      expect(below, 'a new id below it').toMatchObject({ ok: true, seqs: [9], dups: [] });
      // 'n3' is beyond every plain id but not beyond 'é': written in its place, not at the end.
      await expectStored(store, 'n3', 8);
      await expectStored(store, 'b0', 9);
    } finally {
      await store.close();
    }
  });

  it('looks every id up when too many other ids sort after the largest plain one', async () => {
    const others = Array.from({ length: 10_001 }, (_, n) => `zé${String(n).padStart(5, '0')}`);
    const { store } = await reopenedWith(['m2', ...others]);
    try {
      await expectStored(store, 'm2', 1);
      await expectStored(store, others[10_000]!, 10_002);
    } finally {
      await store.close();
    }
  });
});

afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});
