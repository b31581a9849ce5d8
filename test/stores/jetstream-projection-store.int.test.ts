import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProjectionChange } from '../../server-reference/projections/projection-store.js';
import type { JetStreamStore } from '../../server-reference/stores/jetstream/jetstream-store.js';
import { encodeToken } from '../../server-reference/stores/jetstream/subjects.js';
import { sampleRecord } from '../conformance/store-contract-projections.js';
import { NATS_URL, TestStores, natsAvailable, type TestStoreNames } from './jetstream-fixture.js';

// What the JetStream store's projections do beyond the contract: their log is compacted (a
// snapshot, then a purge of what it replaced) without a reader on another server missing
// anything, and a commit cut short between its parts (its server died) counts for nothing.

const available = await natsAvailable();
const stores = new TestStores();
afterAll(() => stores.deleteAll());

/** The subject of a projection of the store named `names`. */
function subjectOf(names: TestStoreNames, projection: string): string {
  return `_tauon_projections.${names.stream}.${encodeToken(projection)}`;
}

/** How many messages the projection's subject holds now. */
async function messagesOn(names: TestStoreNames, projection: string): Promise<number> {
  const nc = await connect({ servers: NATS_URL, noAsyncTraces: true });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(`${names.stream}_projections`, { subjects_filter: '>' });
    return info.state.subjects?.[subjectOf(names, projection)] ?? 0;
  } finally {
    await nc.close();
  }
}

/** Commits `count` changes one after another, each moving the revision by one from `from`. */
async function commitMany(store: JetStreamStore, name: string, from: number, count: number, change: (n: number) => ProjectionChange[]): Promise<void> {
  for (let n = from; n < from + count; n++) {
    expect(await store.projections.commit(name, change(n), sampleRecord(n + 1), n), `commit ${n + 1}`).toBe(true);
  }
}

describe.skipIf(!available)('jetstream store: projections', { timeout: 120_000 }, () => {
  it('compacts a long log while another server reads it: nothing missed, nothing twice, and commits go on from either', async () => {
    const names = stores.fresh();
    const writer = await stores.open(names);
    const reader = await stores.open(names);
    const name = 'counts per key';
    const counter = (n: number): ProjectionChange[] => [{ key: `k${n % 20}`, value: n }, { key: '', value: { total: n } }];
    try {
      expect(await writer.projections.commit(name, [{ key: 'first', value: true }], sampleRecord(1), undefined)).toBe(true);
      await commitMany(writer, name, 1, 60, counter);
      expect(await reader.projections.get(name, ''), 'the reader folds the log so far').toEqual({ total: 60 });
      await commitMany(writer, name, 61, 240, counter);
    } finally {
      await writer.close(); // waits for the compaction in flight
    }
    try {
      const left = await messagesOn(names, name);
      expect(left, `the log was compacted: ${left} messages left of 301 commits`).toBeLessThan(150);
      // The reader's state in memory is from before the purges: it folds again from the snapshot.
      expect(await reader.projections.record(name), 'the last record').toEqual(sampleRecord(301));
      expect(await reader.projections.get(name, ''), 'the last total').toEqual({ total: 300 });
      const expected = [{ key: '', value: { total: 300 } }, { key: 'first', value: true }, ...Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: 300 - ((300 - i) % 20) }))];
      expected.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      expect(await reader.projections.entries(name, undefined, 100), 'every value as the last commit left it').toEqual(expected);
      expect(await reader.projections.commit(name, [{ key: 'first', value: false }], sampleRecord(302), 301), 'the reader commits on top').toBe(true);
      const fresh = await stores.open(names);
      try {
        expect(await fresh.projections.entries(name, undefined, 100), 'a new server reads the same state').toEqual(
          expected.map((entry) => (entry.key === 'first' ? { key: 'first', value: false } : entry)),
        );
        expect(await fresh.projections.record(name), 'and the same record').toEqual(sampleRecord(302));
      } finally {
        await fresh.close();
      }
    } finally {
      await reader.close();
    }
  });

  it('two servers incrementing one projection while its log is compacted lose no increment and apply none twice', async () => {
    const names = stores.fresh();
    const [a, b] = [await stores.open(names), await stores.open(names)];
    const increments = 75;
    try {
      expect(await a.projections.commit('counter', [{ key: '', value: { a: 0, b: 0 } }], sampleRecord(1, 0, { checkpoint: 0 }), undefined)).toBe(true);
      /** Adds 1 to `field`, retrying on a lost race (bounded). */
      const increment = async (store: JetStreamStore, field: 'a' | 'b'): Promise<void> => {
        for (let attempt = 0; attempt < 500; attempt++) {
          const record = (await store.projections.record('counter'))!;
          const value = (await store.projections.get('counter', '')) as { a: number; b: number };
          const next = { ...record, revision: record.revision + 1, checkpoint: record.checkpoint + 1 };
          if (await store.projections.commit('counter', [{ key: '', value: { ...value, [field]: value[field] + 1 } }], next, record.revision)) return;
        }
        throw new Error('500 lost races in a row');
      };
      const loop = async (store: JetStreamStore, field: 'a' | 'b') => {
        for (let i = 0; i < increments; i++) await increment(store, field);
      };
      await Promise.all([loop(a, 'a'), loop(b, 'b')]);
      expect(await a.projections.get('counter', ''), 'each server its own increments, once each').toEqual({ a: increments, b: increments });
      expect((await b.projections.record('counter'))?.checkpoint, 'the checkpoint moved once per increment').toBe(2 * increments);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    const left = await messagesOn(names, 'counter');
    expect(left, `the log was compacted meanwhile: ${left} messages left of ${2 * increments + 1} commits`).toBeLessThan(2 * increments);
  });

  it('writes a snapshot larger than one message in parts, and a new server reads it whole', async () => {
    const names = stores.fresh();
    const large = (n: number) => `${n}`.repeat(600_000);
    const store = await stores.open(names);
    try {
      expect(await store.projections.commit('large', [1, 2, 3].map((n) => ({ key: `big ${n}`, value: large(n) })), sampleRecord(1), undefined)).toBe(true);
      await commitMany(store, 'large', 1, 110, (n) => [{ key: 'small', value: n }]);
    } finally {
      await store.close();
    }
    const left = await messagesOn(names, 'large');
    expect(left, `compacted into a snapshot of several parts and the commits after it: ${left} messages`).toBeLessThan(20);
    const fresh = await stores.open(names);
    try {
      for (const n of [1, 2, 3]) expect(await fresh.projections.get('large', `big ${n}`), `value ${n} whole`).toBe(large(n));
      expect(await fresh.projections.get('large', 'small'), 'the last small value').toBe(110);
      expect(await fresh.projections.record('large'), 'the last record').toEqual(sampleRecord(111));
    } finally {
      await fresh.close();
    }
  });

  it('a commit cut short between its parts (its server died) counts for nothing, and the next commit lands after it', async () => {
    const names = stores.fresh();
    const store = await stores.open(names);
    const nc = await connect({ servers: NATS_URL, noAsyncTraces: true });
    try {
      expect(await store.projections.commit('p', [{ key: 'k', value: 'kept' }], sampleRecord(1), undefined)).toBe(true);
      const jsm = await jetstreamManager(nc);
      const last = await jsm.streams.getMessage(`${names.stream}_projections`, { last_by_subj: subjectOf(names, 'p') });
      // The first of two parts, as a server that died before publishing the second left it.
      const part = { k: 'c', id: 'abandoned', part: 0, parts: 2, prev: last!.seq, set: [['k', 'lost'], ['other', 'lost']], del: [] };
      await jetstream(nc).publish(subjectOf(names, 'p'), JSON.stringify(part), { expect: { lastSubjectSequence: last!.seq } });
      const other = await stores.open(names);
      try {
        expect(await other.projections.get('p', 'k'), 'a new server does not read the half commit').toBe('kept');
        expect(await other.projections.get('p', 'other'), 'nothing of it').toBeUndefined();
      } finally {
        await other.close();
      }
      expect(await store.projections.get('p', 'k'), 'nor does the server that read before it').toBe('kept');
      expect(await store.projections.commit('p', [{ key: 'k', value: 'next' }], sampleRecord(2), 1), 'the next commit, expecting the revision before the half commit').toBe(true);
      expect(await store.projections.entries('p', undefined, 10), 'lands after it').toEqual([{ key: 'k', value: 'next' }]);
    } finally {
      await nc.close();
      await store.close();
    }
  });
});
