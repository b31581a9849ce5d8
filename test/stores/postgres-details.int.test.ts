import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EventInput } from '../../protocol/frames.js';
import type { AppendOutcome, AppendRequest } from '../../server-reference/stores/event-store.js';
import { compareNames } from '../../server-reference/stores/name-order.js';
import { decodeEventBody, encodeEventBody } from '../../server-reference/stores/postgres/event-body.js';
import { PostgresStore } from '../../server-reference/stores/postgres/postgres-store.js';
import { POSTGRES_URL, TestSchemas, postgresAvailable, runSql } from './postgres-fixture.js';

const available = await postgresAvailable();
const schemas = new TestSchemas();

type Event = EventInput & { id: string };

function request(stream: string, events: readonly Event[], dedupe = false): AppendRequest {
  return { stream, events, expected: 'any', dedupe };
}

function written(outcome: AppendOutcome | undefined): Extract<AppendOutcome, { ok: true }> {
  if (outcome === undefined || !outcome.ok) throw new Error(`the append failed: ${outcome?.ok === false ? outcome.error.message : 'no outcome'}`);
  return outcome;
}

describe.skipIf(!available)('postgres store: details', { timeout: 60_000 }, () => {
  let store: PostgresStore;
  let schema: string;

  async function open(): Promise<PostgresStore> {
    schema = schemas.fresh();
    store = await PostgresStore.open(POSTGRES_URL, { schema });
    return store;
  }

  afterEach(() => store.close());
  afterAll(() => schemas.dropAll());

  it('takes any name the protocol allows, U+0000 included: streams, ids and keys, in code point order and by prefix', async () => {
    await open();
    const names = ['a\u0000b', 'a\u0000', 'a', 'a\u0001', 'a\u0002', 'a\u0000\u0000', 'a%', 'a_', 'a\\', 'a\uffff', 'a😀'];
    for (const [i, name] of names.entries()) {
      written((await store.append([request(name, [{ id: `id\u0000${i}`, type: 'T', key: `k\u0000${i % 2}`, data: { i } }])]))[0]);
    }
    const sorted = [...names].sort(compareNames);
    expect((await store.listStreams('', undefined, 100)).map((s) => s.stream), 'every name, in code point order').toEqual(sorted);
    expect((await store.listStreams('a\u0000', undefined, 100)).map((s) => s.stream), 'a prefix ending in U+0000').toEqual(
      sorted.filter((n) => n.startsWith('a\u0000')),
    );
    expect((await store.listStreams('a', 'a\u0000b', 3)).map((s) => s.stream), 'after a name with U+0000').toEqual(
      sorted.filter((n) => compareNames(n, 'a\u0000b') > 0).slice(0, 3),
    );
    expect((await store.listStreams('a%', undefined, 100)).map((s) => s.stream), 'LIKE wildcards in a prefix are literal').toEqual(['a%']);
    expect((await store.readAll(1, 'forward', 100, 'a_')).map((e) => e.stream), 'a prefix with _ is literal in reads').toEqual(['a_']);
    expect((await store.findEvent('id\u00000'))?.stream, 'an id with U+0000').toBe('a\u0000b');
    expect(await store.findEvent('id'), 'an id is not a prefix').toBeUndefined();
    expect((await store.streamInfo('a\u0000'))?.head, 'streamInfo of a name with U+0000').toBe(1);
    expect((await store.surface('a\u0000b')).map((e) => e.key), 'surface keys with U+0000').toEqual(['k\u00000']);
    const dedupe = written((await store.append([request('a\u0000b', [{ id: 'again', type: 'T', key: 'k\u00000', data: { i: 0 } }], true)]))[0]);
    expect(dedupe.dups, 'content de-duplication by a key with U+0000').toEqual([0]);
  });

  it('reads events back as appended: binary data, property order, nested values', async () => {
    await open();
    const data = { z: 1, a: { bytes: new Uint8Array([0, 1, 254, 255]), list: [1.5, 'x', null, true, { deep: [[]] }] }, m: 'héllo 😀' };
    const outcome = written((await store.append([request('s', [{ id: 'e', type: 'T', data, meta: { b: '2', a: '1' } }])]))[0]);
    const stored = (await store.readStream('s', 1, 'forward', 1))[0]!;
    const { data: storedData, ...storedRest } = stored as typeof stored & { data: typeof data };
    const { data: _answered, ...answeredRest } = outcome.written[0]!;
    expect(storedRest, 'the stored event is what append answered').toEqual(answeredRest);
    expect(Object.keys(storedData), 'property order is kept').toEqual(['z', 'a', 'm']);
    expect(Object.keys(stored.meta!), 'meta order is kept').toEqual(['b', 'a']);
    expect(Buffer.from(storedData.a.bytes).equals(Buffer.from([0, 1, 254, 255])), 'binary data comes back byte for byte').toBe(true);
    expect({ ...storedData, a: { ...storedData.a, bytes: null } }, 'the rest of the data').toEqual({ ...data, a: { ...data.a, bytes: null } });
  });

  it('a call whose data cannot be stored fails alone; the calls sharing its transaction are written and positions stay dense', async () => {
    await open();
    const [first, failing, after, last] = await Promise.allSettled([
      store.append([request('a', [{ id: 'a1', type: 'T' }])]),
      store.append([request('b', [{ id: 'b1', type: 'T' }]), request('c', [{ id: 'c1', type: 'T', data: { s: Symbol('no') } }])]),
      store.append([request('a', [{ id: 'a2', type: 'T' }])]),
      store.append([request('d', [{ id: 'd1', type: 'T' }])]),
    ]);
    expect([first.status, after.status, last.status], 'the other calls commit').toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(failing.status, 'the failing call rejects').toBe('rejected');
    expect((failing as PromiseRejectedResult).reason, 'with an internal error').toMatchObject({ code: 'internal' });
    expect(await store.findEvent('b1'), 'nothing of the failed call is stored').toBeUndefined();
    const all = await store.readAll(1, 'forward', 10);
    expect(all.map((e) => [e.id, e.pos]), 'positions stay dense around the failed call').toEqual([
      ['a1', 1],
      ['a2', 2],
      ['d1', 3],
    ]);
  });

  it("recorded never goes below the newest stored time, even when another server's clock is ahead", async () => {
    await open();
    const first = written((await store.append([request('s', [{ id: 'e1', type: 'T' }])]))[0]).written[0]!;
    // Another server whose clock runs an hour ahead wrote the newest event.
    const ahead = { ...first, recorded: first.recorded + 3_600_000 };
    await runSql(`UPDATE "${schema}".events SET recorded = $1, body = $2 WHERE pos = $3`, [ahead.recorded, encodeEventBody(ahead), first.pos]);
    expect(decodeEventBody(encodeEventBody(ahead)), 'the body encodes the changed event').toEqual(ahead);
    const next = written((await store.append([request('s', [{ id: 'e2', type: 'T' }])]))[0]).written[0]!;
    expect(next.recorded, 'recorded is at least the newest stored one').toBeGreaterThanOrEqual(ahead.recorded);
  });

  it('a call with more events than one group commit takes is written whole', async () => {
    await open();
    const count = 12_000;
    const events = Array.from({ length: count }, (_, i) => ({ id: `big-${i}`, type: 'T', key: `k${i % 10}`, data: { i } }));
    const small = store.append([request('small', [{ id: 'small-1', type: 'T' }])]);
    const big = store.append([request('big', events)]);
    const outcome = written((await big)[0]);
    written((await small)[0]);
    expect(outcome.seqs.length, 'every event written').toBe(count);
    const info = await store.streamInfo('big');
    expect(info?.head, 'the stream holds every event').toBe(count);
    expect((await store.surface('big')).map((e) => e.id), 'the surface has the newest event of each key').toEqual(
      Array.from({ length: 10 }, (_, k) => `big-${count - 10 + k}`),
    );
  });

  it('close waits for appends in flight, then further calls fail', async () => {
    await open();
    const appending = store.append([request('s', [{ id: 'in-flight', type: 'T' }])]);
    const closing = store.close();
    expect(written((await appending)[0]).positions, 'the append in flight commits').toEqual([1]);
    await closing;
    await expect(store.headPosition(), 'reads fail after close').rejects.toMatchObject({ code: 'internal' });
    await expect(store.append([request('s', [{ id: 'late', type: 'T' }])]), 'appends fail after close').rejects.toMatchObject({
      code: 'internal',
    });
    const rows = await runSql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".events`);
    expect(rows[0]?.n, 'the append in flight is stored').toBe(1);
  });
});
