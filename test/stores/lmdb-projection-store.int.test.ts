import { afterAll, describe, expect, it } from 'vitest';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { AWKWARD_PROJECTION_KEYS, sampleRecord, sampleValue } from '../conformance/store-contract-projections.js';
import { compareNames } from '../../server-reference/stores/name-order.js';
import { tempDir } from '../support/temp-dir.js';

// The lmdb store's projections across a reopen of its directory (one process writes at a time,
// so "a second server" is the same directory opened again); the contract's cases run in
// lmdb-store.int.test.ts.

const directory = await tempDir('lmdb-projections');
afterAll(() => directory.remove());

describe('lmdb store: projections after a reopen', () => {
  it('keeps every record and value committed, pages them in order, and goes on from the stored revision', async () => {
    const path = `${directory.path}/reopen`;
    const keys = [...AWKWARD_PROJECTION_KEYS, ...Array.from({ length: 500 }, (_, i) => `key ${i}`)];
    const first = await LmdbStore.open(path);
    try {
      expect(await first.projections.commit('by key', keys.map((key, i) => ({ key, value: { i } })), sampleRecord(1), undefined)).toBe(true);
      expect(await first.projections.commit('by key', [{ key: 'key 7', value: undefined }], sampleRecord(2), 1)).toBe(true);
      expect(await first.projections.commit('unkeyed', [{ key: '', value: sampleValue(3) }], sampleRecord(1, 3), undefined)).toBe(true);
      expect(await first.projections.commit('gone', [{ key: 'x', value: 1 }], sampleRecord(1), undefined)).toBe(true);
      await first.projections.reset('gone');
    } finally {
      await first.close();
    }

    const reopened = await LmdbStore.open(path);
    try {
      const projections = reopened.projections;
      expect(await projections.list(), 'the projections with a record').toEqual(['by key', 'unkeyed']);
      expect(await projections.record('by key'), 'the last record').toEqual(sampleRecord(2));
      expect(await projections.get('unkeyed', ''), 'the unkeyed value, equal').toEqual(JSON.parse(JSON.stringify(sampleValue(3))));
      expect(await projections.record('gone'), 'a reset stays reset').toBeUndefined();
      const kept = keys.filter((key) => key !== 'key 7').sort(compareNames);
      const paged: string[] = [];
      let after: string | undefined;
      for (let page = 0; page < 100; page++) {
        const batch = await projections.entries('by key', after, 64);
        paged.push(...batch.map((entry) => entry.key));
        if (batch.length < 64) break;
        after = batch[batch.length - 1]!.key;
      }
      expect(paged, 'every value but the removed one, once, in code point order').toEqual(kept);
      expect(await projections.commit('by key', [], sampleRecord(3), 1), 'a stale revision is refused after the reopen').toBe(false);
      expect(await projections.commit('by key', [{ key: 'key 7', value: 'back' }], sampleRecord(3), 2), 'the stored revision commits').toBe(true);
      expect(await projections.get('by key', 'key 7')).toBe('back');
    } finally {
      await reopened.close();
    }
  });
});

describe('lmdb store: a reset of a large projection', () => {
  it('is immediate and whole; the values left behind are cleared in short writes, after a reopen too', async () => {
    const path = `${directory.path}/reset`;
    const first = await LmdbStore.open(path);
    try {
      for (let c = 0; c < 5; c++) {
        const changes = Array.from({ length: 1000 }, (_, i) => ({ key: `key ${c * 1000 + i}`, value: { c, i } }));
        expect(await first.projections.commit('large', changes, sampleRecord(c + 1), c === 0 ? undefined : c)).toBe(true);
      }
      await first.projections.reset('large');
      expect(await first.projections.record('large'), 'no record at once').toBeUndefined();
      expect(await first.projections.entries('large', undefined, 10), 'no values at once').toEqual([]);
      expect(await first.projections.get('large', 'key 1'), 'none').toBeUndefined();
      expect(await first.projections.commit('large', [{ key: 'key 1', value: 'new' }], sampleRecord(1), undefined), 'a first commit after it').toBe(true);
      expect(await first.projections.entries('large', undefined, 10), 'only the new value').toEqual([{ key: 'key 1', value: 'new' }]);
    } finally {
      await first.close(); // most of the old values are still there: the next open clears them
    }
    expect(await valuesStored(path), 'the close cut the clearing short').toBeGreaterThan(1);

    const reopened = await LmdbStore.open(path);
    try {
      expect(await reopened.projections.entries('large', undefined, 10), 'after the reopen: only the new value').toEqual([{ key: 'key 1', value: 'new' }]);
      // Each of these commits is a turn in which the clearing goes on (bounded).
      for (let n = 2; n < 40; n++) expect(await reopened.projections.commit('large', [{ key: 'key 1', value: n }], sampleRecord(n), n - 1)).toBe(true);
    } finally {
      await reopened.close();
    }
    expect(await valuesStored(path), 'every value of the reset generation is gone; the new one stays').toBe(1);
  });
});

/** How many lmdb keys the `projection-values` database of the (closed) store at `path` holds. */
async function valuesStored(path: string): Promise<number> {
  const { open } = await import('lmdb');
  const root = open(path, { maxDbs: 16, pageSize: 8192 });
  try {
    const values = root.openDB({ name: 'projection-values', keyEncoding: 'binary' });
    return values.getKeysCount();
  } finally {
    await root.close();
  }
}
