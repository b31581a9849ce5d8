import { describe, expect, it, type TestContext } from 'vitest';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import type { ProjectionChange, ProjectionEntry, ProjectionRecord, ProjectionStore } from '../../server-reference/projections/projection-store.js';
import { compareNames } from '../../server-reference/stores/name-order.js';
import { AWKWARD_GROUP_NAMES } from './store-contract-groups.js';

/*
 * The ProjectionStore part of the store contract (issue 18, SPEC 18): what a store keeps for
 * server-side projections (per projection a record and one value per key, written together by
 * compare-and-set on the record's revision), checked on the store's `projections`. A store
 * without `projections` skips every case (it runs no projections).
 */

/** Commits made at once with the same expected revision in the race cases. */
const RACERS = 8;

/** The most a store keeps of one value, as JSON text (MAX_PROJECTION_VALUE_BYTES). */
const ONE_MIB = 1024 * 1024;

/**
 * Keys a store must keep apart and hand back as they are, in every order: the empty key (an
 * unkeyed projection's), spaces, dots, NUL and other control characters, non-ASCII, characters
 * on both sides of U+FFFF (JavaScript's `<` puts U+1F680 before U+E000; code point order does
 * not), and keys of 1024 code points (the longest allowed) that differ only at their end.
 */
export const AWKWARD_PROJECTION_KEYS: readonly string[] = [
  '',
  ...AWKWARD_GROUP_NAMES,
  '\u0000',
  '\u0000\u0000',
  '\u0001',
  'a\u0000',
  'a\u0000b',
  '__proto__',
  'constructor',
  '\uffff',
  '\u{10ffff}',
  ' ',
  '🚀'.repeat(1023) + 'a',
  '🚀'.repeat(1023) + 'b',
  '🚀'.repeat(1024),
  'é'.repeat(1024),
  '\u0000'.repeat(1024),
];

/** A projection's record; `revision` as the engine writes it, `seed` varies the rest. */
export function sampleRecord(revision: number, seed = 1, overrides: Partial<ProjectionRecord> = {}): ProjectionRecord {
  return {
    v: 1,
    revision,
    checkpoint: 1000 * revision + seed,
    definition: `sha256:def-${seed}`,
    status: 'running',
    error: null,
    updated: 1_700_000_000_000 + revision,
    ...overrides,
  };
}

/** A nested value of plain JSON data; `seed` varies it. */
export function sampleValue(seed: number): unknown {
  return {
    count: seed,
    total: seed * 1.5,
    big: 2 ** 53 - seed,
    negative: -seed,
    name: `value ${seed} é 🚀 nul\u0000inside "quoted"`,
    flags: [true, false, null],
    nested: { deeper: { deepest: [seed, [seed + 1, { leaf: 'x' }]] }, empty: {}, none: [] },
    // Own keys that a careless decoder would turn into something else.
    ['__proto__']: { polluted: seed },
    constructor: 'not a function',
    'key with.dots and spaces': seed,
    'nul\u0000key': 'kept',
  };
}

/** Sets `key` to `value`. */
function set(key: string, value: unknown): ProjectionChange {
  return { key, value };
}

/** Removes `key`. */
function remove(key: string): ProjectionChange {
  return { key, value: undefined };
}

/** A JSON-parsed copy: the value as a store keeping JSON hands it back (`__proto__` an own key). */
function viaJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Every entry of a projection, read in pages of `pageSize` (bounded). */
async function allEntries(store: ProjectionStore, name: string, pageSize: number): Promise<ProjectionEntry[]> {
  const all: ProjectionEntry[] = [];
  let after: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const batch = await store.entries(name, after, pageSize);
    expect(batch.length, `entries: a page holds at most ${pageSize}`).toBeLessThanOrEqual(pageSize);
    all.push(...batch);
    if (batch.length < pageSize) return all;
    after = batch[batch.length - 1]!.key;
  }
  throw new Error('allEntries: more than 10000 pages');
}

/** Expects the promise to reject with a TauonError of `code`. */
async function expectCode(promise: Promise<unknown>, code: string, rule: string): Promise<void> {
  let failure: unknown;
  try {
    await promise;
  } catch (error) {
    failure = error;
  }
  expect(failure, `${rule}: rejects`).toBeDefined();
  expect((failure as { code?: unknown }).code, `${rule}: with code ${code} (${String(failure)})`).toBe(code);
}

/** Of the answers, the indexes that won. */
function winnersOf(answers: readonly boolean[]): number[] {
  return answers.flatMap((won, i) => (won ? [i] : []));
}

/**
 * Registers the ProjectionStore cases inside the store contract's suite; `current` answers the
 * fresh store of the running case, `closeCurrent` closes it (and tells the suite not to close it
 * again). Each case skips itself when that store has no `projections`.
 */
export function describeProjectionStoreContract(current: () => EventStore, closeCurrent: () => Promise<void>): void {
  describe('projections (ProjectionStore, SPEC 18)', () => {
    /** The store's ProjectionStore, or the case is skipped: a store without one runs no projections. */
    function projectionsOf(context: TestContext): ProjectionStore {
      const projections = current().projections;
      if (projections === undefined) context.skip('the store has no projections (EventStore.projections)');
      return projections;
    }

    it('a projection never committed has no record, no values and is not listed', async (context) => {
      const store = projectionsOf(context);
      expect(await store.record('nothing'), 'record: undefined').toBeUndefined();
      expect(await store.get('nothing', ''), 'get of the unkeyed value: undefined').toBeUndefined();
      expect(await store.get('nothing', 'k'), 'get of a key: undefined').toBeUndefined();
      expect(await store.entries('nothing', undefined, 10), 'entries: none').toEqual([]);
      expect(await store.list(), 'list: a fresh store has none').toEqual([]);
      await store.reset('nothing');
      expect(await store.list(), 'reset of a projection without a record makes none').toEqual([]);
    });

    it('hands back the record and each value committed, equal and as own keys (unkeyed and keyed)', async (context) => {
      const store = projectionsOf(context);
      const record = sampleRecord(1, 1, { definition: 'def with "quotes", nul\u0000 and 🚀' });
      expect(await store.commit('totals', [set('', sampleValue(1))], record, undefined), 'first commit (expected undefined)').toBe(true);
      expect(await store.record('totals'), 'record: as committed').toEqual(record);
      const value = await store.get('totals', '');
      expect(value, 'the unkeyed value: equal').toEqual(viaJson(sampleValue(1)));
      expect(Object.keys(value as object), 'the same own keys, __proto__ and constructor included').toEqual(Object.keys(sampleValue(1) as object));
      expect(Object.getPrototypeOf(value), 'a plain object').toBe(Object.prototype);

      const values: [string, unknown][] = [
        ['null', null],
        ['zero', 0],
        ['false', false],
        ['empty string', ''],
        ['string', 'nul\u0000 é 🚀'],
        ['array', [1, 'two', null, { three: [3] }]],
        ['empty object', {}],
        ['nested', sampleValue(2)],
        ['huge number', 2 ** 53 - 1],
        ['fraction', -0.125],
      ];
      const failed = sampleRecord(1, 2, { status: 'failed', error: 'evolve threw: TypeError: x is undefined' });
      expect(await store.commit('by key', values.map(([key, v]) => set(key, v)), failed, undefined), 'a keyed commit').toBe(true);
      for (const [key, v] of values) expect(await store.get('by key', key), `value of "${key}"`).toEqual(viaJson(v));
      expect(await store.record('by key'), 'a failed record with its error').toEqual(failed);
      expect(await store.get('by key', 'absent'), 'a key never set: undefined (not null)').toBeUndefined();
      expect(await store.get('totals', 'null'), "another projection's key is not this one's").toBeUndefined();
      expect(await store.list(), 'list: both, in name order').toEqual(['by key', 'totals']);
    });

    it('a commit with the current revision sets and removes keys and moves the record; removing an absent key is harmless', async (context) => {
      const store = projectionsOf(context);
      expect(await store.commit('p', [set('a', 1), set('b', 2), set('c', 3)], sampleRecord(1), undefined)).toBe(true);
      expect(await store.commit('p', [set('a', 10), remove('b'), remove('never'), set('d', { x: 4 })], sampleRecord(2), 1), 'second commit').toBe(true);
      expect(await store.record('p'), 'record: the second').toEqual(sampleRecord(2));
      expect(await store.get('p', 'a'), 'a: replaced').toBe(10);
      expect(await store.get('p', 'b'), 'b: removed').toBeUndefined();
      expect(await store.get('p', 'never'), 'never: still absent').toBeUndefined();
      expect(await store.entries('p', undefined, 10), 'entries after the second commit').toEqual([
        { key: 'a', value: 10 },
        { key: 'c', value: 3 },
        { key: 'd', value: { x: 4 } },
      ]);
      // A commit of no changes moves the checkpoint alone.
      expect(await store.commit('p', [], sampleRecord(3), 2), 'a commit without changes').toBe(true);
      expect(await store.record('p'), 'record: the third').toEqual(sampleRecord(3));
      expect(await store.entries('p', undefined, 10), 'values untouched by a commit without changes').toHaveLength(3);
      // Removing every key leaves a record with no values: still listed.
      expect(await store.commit('p', [remove('a'), remove('c'), remove('d')], sampleRecord(4), 3)).toBe(true);
      expect(await store.entries('p', undefined, 10), 'every value removed').toEqual([]);
      expect(await store.list(), 'a projection without values but with a record is listed').toEqual(['p']);
    });

    it('a commit whose expected revision does not hold resolves false and writes nothing', async (context) => {
      const store = projectionsOf(context);
      expect(await store.commit('absent', [set('k', 1)], sampleRecord(5), 4), 'expected a revision, none stored: false').toBe(false);
      expect(await store.record('absent'), 'a refused commit makes no record').toBeUndefined();
      expect(await store.get('absent', 'k'), 'a refused commit writes no value').toBeUndefined();
      expect(await store.list(), 'and lists nothing').toEqual([]);

      expect(await store.commit('p', [set('k', 'first'), set('gone', 1)], sampleRecord(1), undefined)).toBe(true);
      const refused: [string, number | undefined][] = [
        ['expected undefined, a record stored', undefined],
        ['expected a revision behind', 0],
        ['expected a revision ahead', 2],
      ];
      for (const [label, expected] of refused) {
        expect(await store.commit('p', [set('k', label), remove('gone'), set('new', 1)], sampleRecord(9, 9), expected), `${label}: false`).toBe(false);
        expect(await store.record('p'), `${label}: the record is unchanged`).toEqual(sampleRecord(1));
        expect(await store.entries('p', undefined, 10), `${label}: no value changed, removed or added`).toEqual([
          { key: 'gone', value: 1 },
          { key: 'k', value: 'first' },
        ]);
      }
    });

    it(`${RACERS} commits at once with the same expected revision: exactly one wins and only its changes are kept`, async (context) => {
      const store = projectionsOf(context);
      expect(await store.commit('race', [set('shared', -1)], sampleRecord(1), undefined)).toBe(true);
      for (let round = 0; round < 3; round++) {
        const expected = round + 1;
        const answers = await Promise.all(
          Array.from({ length: RACERS }, (_, i) =>
            store.commit('race', [set('shared', 100 * round + i), set(`own ${round} ${i}`, i)], sampleRecord(expected + 1, 10 * round + i), expected),
          ),
        );
        const winners = winnersOf(answers);
        expect(winners.length, `round ${round}: exactly one commit wins (got ${winners.length})`).toBe(1);
        const winner = winners[0]!;
        expect(await store.record('race'), `round ${round}: the winner's record`).toEqual(sampleRecord(expected + 1, 10 * round + winner));
        expect(await store.get('race', 'shared'), `round ${round}: the winner's value`).toBe(100 * round + winner);
        for (let i = 0; i < RACERS; i++) {
          expect(await store.get('race', `own ${round} ${i}`), `round ${round}: a loser's change is not kept (${i})`).toBe(i === winner ? i : undefined);
        }
      }
    });

    it(`${RACERS} first commits at once (expected undefined): exactly one makes the record`, async (context) => {
      const store = projectionsOf(context);
      const answers = await Promise.all(Array.from({ length: RACERS }, (_, i) => store.commit('first', [set(`k${i}`, i)], sampleRecord(1, i), undefined)));
      const winners = winnersOf(answers);
      expect(winners.length, `exactly one first commit wins (got ${winners.length})`).toBe(1);
      expect(await store.record('first'), "the winner's record").toEqual(sampleRecord(1, winners[0]));
      expect(await store.entries('first', undefined, 100), "only the winner's value").toEqual([{ key: `k${winners[0]!}`, value: winners[0] }]);
    });

    it('keeps awkward keys apart and pages entries in code point order, each once', async (context) => {
      const store = projectionsOf(context);
      // Committed in two commits, neither in key order.
      const keys = [...AWKWARD_PROJECTION_KEYS];
      const half = Math.floor(keys.length / 2);
      const first = keys.slice(0, half).reverse();
      const second = keys.slice(half);
      expect(await store.commit('keys', first.map((key, i) => set(key, { i, key })), sampleRecord(1), undefined)).toBe(true);
      expect(await store.commit('keys', second.map((key, i) => set(key, { i: half + i, key })), sampleRecord(2), 1)).toBe(true);
      const sorted = [...keys].sort(compareNames);
      const valueOf = (key: string) => ({ i: first.includes(key) ? first.indexOf(key) : half + second.indexOf(key), key });
      for (const key of keys) expect(await store.get('keys', key), `get ${JSON.stringify(key.slice(0, 20))}... (${key.length} units)`).toEqual(valueOf(key));
      expect(await store.get('keys', 'a.b.'), 'a key that only starts like another is not it').toBeUndefined();
      expect(await store.get('keys', '🚀'.repeat(1023)), 'a key one code point shorter than a stored one is not it').toBeUndefined();

      const everything = await store.entries('keys', undefined, 1000);
      expect(everything.map((e) => e.key), 'entries: every key once, in code point order (compareNames)').toEqual(sorted);
      expect(everything, 'entries: each with its value').toEqual(sorted.map((key) => ({ key, value: valueOf(key) })));
      for (const pageSize of [1, 2, 3, 7]) {
        expect((await allEntries(store, 'keys', pageSize)).map((e) => e.key), `entries in pages of ${pageSize}: each key once, in order`).toEqual(sorted);
      }
      for (const [n, after] of sorted.entries()) {
        expect((await store.entries('keys', after, 2)).map((e) => e.key), `entries after key ${n} (exclusive)`).toEqual(sorted.slice(n + 1, n + 3));
      }
      // `after` need not be a stored key.
      for (const after of ['a.b.', 'zzz', '\u0000\u0000\u0000', '🚀'.repeat(1023), '\ud7ff']) {
        const expected = sorted.filter((key) => compareNames(key, after) > 0).slice(0, 4);
        expect((await store.entries('keys', after, 4)).map((e) => e.key), `entries after ${JSON.stringify(after.slice(0, 8))} (not stored)`).toEqual(expected);
      }
      expect(await store.entries('keys', undefined, 0), 'entries: limit 0 answers nothing').toEqual([]);
      expect(await store.entries('keys', sorted[sorted.length - 1], 10), 'entries after the last key: none').toEqual([]);
    });

    it('keeps projections with awkward names apart, and lists those with a record in name order', async (context) => {
      const store = projectionsOf(context);
      const names = [...AWKWARD_GROUP_NAMES].reverse();
      for (const [i, name] of names.entries()) {
        expect(await store.commit(name, [set('', i), set('k', name)], sampleRecord(1, i), undefined), `commit to "${name}"`).toBe(true);
      }
      for (const [i, name] of names.entries()) {
        expect(await store.record(name), `"${name}": its own record`).toEqual(sampleRecord(1, i));
        expect(await store.entries(name, undefined, 10), `"${name}": only its own values`).toEqual([
          { key: '', value: i },
          { key: 'k', value: name },
        ]);
      }
      expect(await store.list(), 'list: every projection once, in name order (compareNames)').toEqual([...names].sort(compareNames));
      expect(await store.record('a.b.'), 'a name that only starts like another is not it').toBeUndefined();
    });

    it("reset removes the record and every value of that projection only; a first commit works after it, an old revision does not", async (context) => {
      const store = projectionsOf(context);
      for (const name of ['a', 'a.b', 'a b', 'ab']) {
        expect(await store.commit(name, [set('', name), set('x', 1), set('y', 2)], sampleRecord(1), undefined)).toBe(true);
        expect(await store.commit(name, [set('z', 3)], sampleRecord(2), 1)).toBe(true);
      }
      await store.reset('a');
      expect(await store.record('a'), 'reset: no record').toBeUndefined();
      expect(await store.entries('a', undefined, 10), 'reset: no values').toEqual([]);
      for (const key of ['', 'x', 'y', 'z']) expect(await store.get('a', key), `reset: no value of "${key}"`).toBeUndefined();
      expect(await store.list(), 'reset: no longer listed').toEqual(['a b', 'a.b', 'ab']);
      for (const name of ['a.b', 'a b', 'ab']) {
        expect(await store.record(name), `reset of "a" leaves "${name}"'s record`).toEqual(sampleRecord(2));
        expect(await store.entries(name, undefined, 10), `reset of "a" leaves "${name}"'s values`).toHaveLength(4);
      }
      expect(await store.commit('a', [set('x', 'old')], sampleRecord(3), 2), 'a revision from before the reset: false').toBe(false);
      expect(await store.record('a'), 'and writes nothing').toBeUndefined();
      expect(await store.commit('a', [set('w', 'new')], sampleRecord(1, 7), undefined), 'a first commit after the reset').toBe(true);
      expect(await store.entries('a', undefined, 10), 'the rebuilt state starts from nothing').toEqual([{ key: 'w', value: 'new' }]);
      expect(await store.record('a'), 'its record').toEqual(sampleRecord(1, 7));
      await store.reset('a');
      await store.reset('a');
      expect(await store.record('a'), 'reset twice: still nothing').toBeUndefined();
    });

    it('refuses a value of more than 1 MiB of JSON and a key of more than 1024 code points with too-large, writing nothing of the commit', async (context) => {
      const store = projectionsOf(context);
      expect(await store.commit('big', [set('small', 1)], sampleRecord(1), undefined)).toBe(true);
      const tooLarge = 'x'.repeat(ONE_MIB);
      await expectCode(store.commit('big', [set('other', 2), set('huge', tooLarge), remove('small')], sampleRecord(2), 1), 'too-large', 'a value of 1 MiB + 2 bytes of JSON');
      await expectCode(store.commit('big', [set('other', 2), set('🚀'.repeat(1025), 1)], sampleRecord(2), 1), 'too-large', 'a key of 1025 code points');
      await expectCode(store.commit('fresh', [set('huge', tooLarge)], sampleRecord(1), undefined), 'too-large', 'a first commit with a value too large');
      expect(await store.record('big'), 'a refused commit leaves the record').toEqual(sampleRecord(1));
      expect(await store.entries('big', undefined, 10), 'a refused commit changes no value').toEqual([{ key: 'small', value: 1 }]);
      expect(await store.record('fresh'), 'a refused first commit makes no record').toBeUndefined();
      expect(await store.list(), 'and lists nothing new').toEqual(['big']);
      // The store goes on: the same revision commits once the value fits.
      expect(await store.commit('big', [set('other', 2)], sampleRecord(2), 1), 'a commit after a refused one').toBe(true);
    });

    it('fails every call once the store is closed; a commit in flight when it closes settles', async (context) => {
      const store = projectionsOf(context);
      expect(await store.commit('p', [set('k', 1)], sampleRecord(1), undefined)).toBe(true);
      // Asked for before the close: the close waits for it, or it fails; it must not hang.
      const inFlight = store.commit('p', [set('k', 2), set('other', 2)], sampleRecord(2), 1).then(
        (written) => ({ written }),
        () => ({ written: false }),
      );
      await closeCurrent();
      const { written } = await inFlight;
      await expect(store.record('p'), 'record after close').rejects.toThrow();
      await expect(store.get('p', 'k'), 'get after close').rejects.toThrow();
      await expect(store.entries('p', undefined, 10), 'entries after close').rejects.toThrow();
      await expect(store.commit('p', [set('k', 3)], sampleRecord(3), written ? 2 : 1), 'commit after close').rejects.toThrow();
      await expect(store.reset('p'), 'reset after close').rejects.toThrow();
      await expect(store.list(), 'list after close').rejects.toThrow();
    });

    it('keeps large values and commits larger than one of them: 3 values of 600 kB in one commit, then one just under 1 MB', async (context) => {
      const store = projectionsOf(context);
      const large = (seed: number) => ({ seed, text: `${seed}`.repeat(600_000 / `${seed}`.length) });
      expect(await store.commit('large', [1, 2, 3].map((n) => set(`k${n}`, large(n))), sampleRecord(1), undefined), 'a commit of about 1.8 MB').toBe(true);
      for (const n of [1, 2, 3]) expect(await store.get('large', `k${n}`), `value ${n} of 600 kB`).toEqual(large(n));
      const nearly = 'é'.repeat(499_000);
      expect(await store.commit('large', [set('k2', nearly), remove('k1')], sampleRecord(2), 1), 'a value of 998 kB').toBe(true);
      expect(await store.get('large', 'k2'), 'read back whole').toBe(nearly);
      expect((await store.entries('large', undefined, 10)).map((e) => e.key), 'the keys after both commits').toEqual(['k2', 'k3']);
      expect(await store.record('large'), 'the record of the second commit').toEqual(sampleRecord(2));
    });
  });
}

/** Options of {@link describeSharedProjectionStore}. */
export interface SharedProjectionStoreOptions {
  /** Skip the suite and say why (for example, the database is not running). @default false */
  readonly skip?: string | false;
  /** Timeout of each case in ms. @default 30000 */
  readonly timeoutMs?: number;
}

/**
 * For a store that several servers open at once (one PostgreSQL schema, one JetStream): two
 * instances of one store, made by `openTwo` (and closed here after each case), must see one
 * projection state: what one commits the other reads, of commits racing through both with the
 * same expected revision exactly one wins, and read-modify-write loops on both lose nothing.
 */
export function describeSharedProjectionStore(
  name: string,
  openTwo: () => Promise<readonly [EventStore, EventStore]>,
  options: SharedProjectionStoreOptions = {},
): void {
  const title = options.skip ? `ProjectionStore shared by two servers: ${name} (skipped: ${options.skip})` : `ProjectionStore shared by two servers: ${name}`;
  describe.skipIf(Boolean(options.skip))(title, { timeout: options.timeoutMs ?? 30_000 }, () => {
    async function withTwo(run: (a: ProjectionStore, b: ProjectionStore) => Promise<void>): Promise<void> {
      const [first, second] = await openTwo();
      try {
        expect(first.projections, 'both instances have projections').toBeDefined();
        expect(second.projections, 'both instances have projections').toBeDefined();
        await run(first.projections!, second.projections!);
      } finally {
        await Promise.all([first.close(), second.close()]);
      }
    }

    it('what one commits the other reads: record, values, entries and list; a revision moved by one is stale on the other', async () => {
      await withTwo(async (a, b) => {
        const name = 'shared.projection one';
        expect(await b.record(name), 'nothing before').toBeUndefined();
        expect(await a.commit(name, [set('', sampleValue(1)), set('k 1', 1), set('nul\u0000', 2)], sampleRecord(1), undefined)).toBe(true);
        expect(await b.record(name), 'the other reads the record').toEqual(sampleRecord(1));
        expect(await b.get(name, ''), 'the other reads a value').toEqual(viaJson(sampleValue(1)));
        expect(await b.entries(name, undefined, 10), 'the other pages the values').toEqual([
          { key: '', value: viaJson(sampleValue(1)) },
          { key: 'k 1', value: 1 },
          { key: 'nul\u0000', value: 2 },
        ]);
        expect(await b.list(), 'the other lists it').toEqual([name]);
        expect(await b.commit(name, [set('k 1', 'by b')], sampleRecord(1, 2), undefined), 'a first commit through the other: false').toBe(false);
        expect(await b.commit(name, [set('k 1', 'by b'), remove('nul\u0000')], sampleRecord(2), 1), 'a commit through the other').toBe(true);
        expect(await a.commit(name, [set('k 1', 'by a')], sampleRecord(2, 3), 1), 'the first now holds a stale revision').toBe(false);
        expect(await a.record(name), "the first reads the other's record").toEqual(sampleRecord(2));
        expect(await a.get(name, 'k 1'), "the first reads the other's value").toBe('by b');
        expect(await a.get(name, 'nul\u0000'), "the first sees the other's remove").toBeUndefined();
        await a.reset(name);
        expect(await b.record(name), 'a reset through one: no record for the other').toBeUndefined();
        expect(await b.entries(name, undefined, 10), 'a reset through one: no values for the other').toEqual([]);
        expect(await b.commit(name, [set('again', 1)], sampleRecord(1), undefined), 'a first commit through the other after the reset').toBe(true);
        expect(await a.entries(name, undefined, 10), 'the first reads the rebuilt state').toEqual([{ key: 'again', value: 1 }]);
      });
    });

    it(`${RACERS} commits racing through two servers with the same expected revision, round after round: exactly one wins each round`, async () => {
      await withTwo(async (a, b) => {
        expect(await a.commit('race', [], sampleRecord(1), undefined)).toBe(true);
        for (let round = 0; round < 4; round++) {
          const expected = round + 1;
          const answers = await Promise.all(
            Array.from({ length: RACERS }, (_, i) =>
              ((i + round) % 2 === 0 ? a : b).commit('race', [set('shared', 10 * round + i), set(`own ${round} ${i}`, i)], sampleRecord(expected + 1, 10 * round + i), expected),
            ),
          );
          const winners = winnersOf(answers);
          expect(winners.length, `round ${round}: exactly one commit wins (got ${winners.length})`).toBe(1);
          const winner = winners[0]!;
          for (const [label, store] of [['first', a], ['second', b]] as const) {
            expect(await store.record('race'), `round ${round}: the ${label} server reads the winner's record`).toEqual(sampleRecord(expected + 1, 10 * round + winner));
            const own = (await store.entries('race', `own ${round}`, 100)).filter((e) => e.key.startsWith(`own ${round} `));
            expect(own, `round ${round}: the ${label} server reads only the winner's changes`).toEqual([{ key: `own ${round} ${winner}`, value: winner }]);
          }
        }
      });
    });

    it('read-modify-write loops on both servers lose no increment and apply none twice', async () => {
      await withTwo(async (a, b) => {
        expect(await a.commit('counter', [set('', { a: 0, b: 0 })], sampleRecord(1, 0, { checkpoint: 0 }), undefined)).toBe(true);
        const increments = 12;
        /** Adds 1 to `field` and to the checkpoint, retrying on a lost race (bounded). */
        const increment = async (store: ProjectionStore, field: 'a' | 'b'): Promise<void> => {
          for (let attempt = 0; attempt < 200; attempt++) {
            const record = (await store.record('counter'))!;
            const value = (await store.get('counter', '')) as { a: number; b: number };
            const next = { ...value, [field]: value[field] + 1 };
            const written = await store.commit('counter', [set('', next)], { ...record, revision: record.revision + 1, checkpoint: record.checkpoint + 1 }, record.revision);
            if (written) return;
          }
          throw new Error('200 lost races in a row');
        };
        await Promise.all([
          (async () => {
            for (let i = 0; i < increments; i++) await increment(a, 'a');
          })(),
          (async () => {
            for (let i = 0; i < increments; i++) await increment(b, 'b');
          })(),
        ]);
        expect(await b.get('counter', ''), 'each server its own increments, once each').toEqual({ a: increments, b: increments });
        expect((await a.record('counter'))?.checkpoint, 'the checkpoint moved once per increment').toBe(2 * increments);
        expect((await a.record('counter'))?.revision, 'the revision moved once per increment').toBe(1 + 2 * increments);
      });
    });
  });
}
