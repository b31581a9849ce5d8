import { open, type RootDatabase } from 'lmdb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TurnBudget } from '../../server-reference/short-turns.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { visitRangeInTurns } from '../../server-reference/stores/lmdb/range-in-turns.js';
import { fillLmdb } from '../support/lmdb-fill.js';
import { tempDir } from '../support/temp-dir.js';

/** A budget spent at every item: the scan pauses after each entry and walks on from there. */
const everyItem = () => new TurnBudget(0, 1);
const stillOpen = () => undefined;

describe('visitRangeInTurns', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let root: RootDatabase;
  beforeEach(async () => {
    dir = await tempDir('range-turns');
    root = open(dir.path, { maxDbs: 4 });
  });
  afterEach(async () => {
    await root.close();
    await dir.remove();
  });

  it('visits what one walk visits, forward and backward, pausing after every entry', async () => {
    const db = root.openDB<string, number>({ name: 'numbers' });
    await db.transaction(() => {
      for (let n = 1; n <= 50; n++) db.putSync(n, `v${n}`);
    });
    const walk = async (range: { start: number; end: number; reverse?: boolean }) => {
      const seen: string[] = [];
      await visitRangeInTurns(db, range, (_key, value) => seen.push(value) > 0, stillOpen, everyItem());
      return seen;
    };
    expect(await walk({ start: 10, end: 20 })).toEqual([...db.getRange({ start: 10, end: 20 })].map((entry) => entry.value));
    expect(await walk({ start: 40, end: 30, reverse: true })).toEqual(
      [...db.getRange({ start: 40, end: 30, reverse: true })].map((entry) => entry.value),
    );
    expect(await walk({ start: 48, end: 1000 })).toEqual(['v48', 'v49', 'v50']);
  });

  it('walks on after array keys (the surface index), ends when visit answers false, and on one snapshot when given one', async () => {
    const db = root.openDB<number, [string, string]>({ name: 'pairs' });
    await db.transaction(() => {
      for (const stream of ['a', 'b']) for (let k = 0; k < 20; k++) db.putSync([stream, `k${String(k).padStart(2, '0')}`], k);
    });
    const keys: string[] = [];
    const transaction = root.useReadTransaction();
    try {
      const scan = visitRangeInTurns(
        db,
        { start: ['a'], transaction },
        (key) => {
          if (key[0] !== 'a') return false;
          keys.push(key[1]!);
          return true;
        },
        stillOpen,
        everyItem(),
      );
      // Written during the scan, after its snapshot: not seen.
      await db.put(['a', 'k05x'], 99);
      await scan;
    } finally {
      transaction.done();
    }
    expect(keys).toEqual(Array.from({ length: 20 }, (_, k) => `k${String(k).padStart(2, '0')}`));
  });

  it('stops with what stillOpen throws after a pause', async () => {
    const db = root.openDB<number, number>({ name: 'closing' });
    await db.transaction(() => {
      for (let n = 1; n <= 10; n++) db.putSync(n, n);
    });
    let visited = 0;
    const closed = () => {
      throw new Error('closed');
    };
    await expect(visitRangeInTurns(db, { start: 1, end: 11 }, () => (visited += 1) > 0, closed, everyItem())).rejects.toThrow('closed');
    expect(visited).toBe(1);
  });
});

describe('the lmdb store: scans that match nothing leave the event loop to others', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: LmdbStore;
  beforeAll(async () => {
    dir = await tempDir('lmdb-turns');
    await fillLmdb(dir.path, { events: 200_000, keyed: 20_000 });
    store = await LmdbStore.open(dir.path);
  }, 60_000);
  afterAll(async () => {
    await store.close();
    await dir.remove();
  });

  /** Runs `scan` with a 1 ms interval beside it; how often the interval ran before the scan answered. */
  async function ticksDuring<T>(scan: () => Promise<T>): Promise<{ ticks: number; result: T }> {
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 1);
    try {
      const result = await scan();
      return { ticks, result };
    } finally {
      clearInterval(timer);
    }
  }

  // Each scan below walks 200,000 events (tens of ms at least); read in one piece, no timer
  // could run before it answered.
  it('readAll of a pattern that matches nothing, both ways', async () => {
    for (const direction of ['forward', 'backward'] as const) {
      const { ticks, result } = await ticksDuring(() => store.readAll(direction === 'forward' ? 1 : 1e9, direction, 100, 'nothing-'));
      expect(result).toEqual([]);
      expect(ticks, direction).toBeGreaterThan(0);
    }
  });

  it('a time seek in a pattern that matches nothing', async () => {
    const { ticks, result } = await ticksDuring(() => store.findByTime(1, undefined, 'nothing-'));
    expect(result).toBeUndefined();
    expect(ticks).toBeGreaterThan(0);
  });

  it('finds the same first event of a pattern far along, and reads the same page, as without turns', async () => {
    const first = await store.findByTime(1, undefined, 'keyed');
    expect(first).toMatchObject({ stream: 'keyed', seq: 1, pos: 200_001 });
    const page = await store.readAll(1, 'forward', 3, 'keyed');
    expect(page.map((event) => event.pos)).toEqual([200_001, 200_002, 200_003]);
  });

  it('a surface of 20,000 keys, in seq order', async () => {
    const { ticks, result } = await ticksDuring(() => store.surface('keyed'));
    expect(result).toHaveLength(20_000);
    expect(result.map((event) => event.seq)).toEqual(Array.from({ length: 20_000 }, (_, i) => i + 1));
    expect(ticks).toBeGreaterThan(0);
  });

  it('scans paused between turns when the store closes fail with "the lmdb store is closed"', async () => {
    const own = await tempDir('lmdb-turns-close');
    try {
      await fillLmdb(own.path, { events: 100_000, keyed: 20_000 });
      const closing = await LmdbStore.open(own.path);
      const scans = [closing.readAll(1, 'forward', 10, 'nothing-'), closing.surface('keyed'), closing.findByTime(1, undefined, 'nothing-')];
      const settled = Promise.allSettled(scans);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await closing.close();
      for (const outcome of await settled) {
        expect(outcome.status).toBe('rejected');
        expect((outcome as PromiseRejectedResult).reason).toMatchObject({ code: 'internal', message: 'the lmdb store is closed' });
      }
    } finally {
      await own.remove();
    }
  });
});
