import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AppendOutcome } from '../../server-reference/stores/event-store.js';
import { IdClaims } from '../../server-reference/stores/jetstream/claims.js';
import { messageOfPosition } from '../../server-reference/stores/jetstream/message.js';
import { JetStreamReader } from '../../server-reference/stores/jetstream/reader.js';
import type { JetStreamStore } from '../../server-reference/stores/jetstream/jetstream-store.js';
import { NATS_URL, TestStores, natsAvailable, type TestStoreNames } from './jetstream-fixture.js';

// The event-id claims (KV bucket <stream>_ids) seen from outside: a claim whose writer died
// before its message landed, a claim whose slot another message took, and what is left behind.

const available = await natsAvailable();
const stores = new TestStores();
const closers: (() => Promise<unknown>)[] = [];

/** The claims of a store, as another writer (one that is about to die) would make them. */
async function claimsOf(names: TestStoreNames): Promise<IdClaims> {
  const nc: NatsConnection = await connect({ servers: NATS_URL, noAsyncTraces: true });
  closers.push(() => nc.close());
  const js = jetstream(nc);
  const kv = await new Kvm(js).open(`${names.stream}_ids`, { allow_direct: false });
  return new IdClaims(kv, new JetStreamReader(js, await jetstreamManager(nc), names.stream), names.subjectPrefix);
}

async function open(names: TestStoreNames, options = {}): Promise<JetStreamStore> {
  const store = await stores.open(names, options);
  closers.push(() => store.close());
  return store;
}

function append(store: JetStreamStore, stream: string, id: string, expected: 'any' | number = 'any'): Promise<AppendOutcome | undefined> {
  return store.append([{ stream, events: [{ id, type: 'T' }], expected, dedupe: false }]).then((outcomes) => outcomes[0]);
}

describe.skipIf(!available)('jetstream store: event-id claims', { timeout: 30_000 }, () => {
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  afterAll(() => stores.deleteAll());

  it('a stored event has a claim that leads to it', async () => {
    const names = stores.fresh();
    const store = await open(names);
    const outcome = await append(store, 'orders', 'e1');
    const claims = await claimsOf(names);
    const state = await claims.read('e1');
    expect(state.kind, 'the claim names the message that holds the event').toBe('stored');
    expect(state.kind === 'stored' && state.event, 'and leads to the stored event').toEqual(outcome?.ok && outcome.written[0]);
  });

  it('an id claimed for another stream by a writer that never published is not free until the claim is old', async () => {
    const names = stores.fresh();
    const store = await open(names, { claimWaitMs: 200, claimTimeoutMs: 60_000 });
    const ghost = await claimsOf(names);
    expect((await ghost.claim('ghost', { stream: 'elsewhere', after: 0 })).kind, 'the dead writer claimed it').toBe('claimed');

    const blocked = await append(store, 'mine', 'ghost');
    expect(blocked?.ok === false && blocked.error.code, 'the id may still land elsewhere: try later').toBe('overloaded');
    expect(await store.streamInfo('mine'), 'nothing written').toBeUndefined();

    // A server that counts claims this old as abandoned takes it over.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const patient = await open(names, { claimWaitMs: 200, claimTimeoutMs: 250 });
    const taken = await append(patient, 'mine', 'ghost');
    expect(taken?.ok, 'an abandoned claim is taken over').toBe(true);
    expect((await store.findEvent('ghost'))?.stream, 'the event is where the new claim says').toBe('mine');
    const late = await append(store, 'elsewhere', 'ghost');
    expect(late?.ok === false && late.error.code, 'and it is stored once').toBe('duplicate-id');
  });

  it('a dead writer claim for the same stream and slot does not hold up a retry to that stream', async () => {
    const names = stores.fresh();
    const store = await open(names, { claimWaitMs: 60_000, claimTimeoutMs: 60_000 });
    await append(store, 'orders', 'first');
    const head = await store.streamInfo('orders');
    const ghost = await claimsOf(names);
    // The slot after the stream's last message, as the dead writer planned it.
    const last = await ghost.read('first');
    expect(last.kind).toBe('stored');
    const after = last.kind === 'stored' ? messageOfPosition(last.event.pos) : 0;
    expect((await ghost.claim('retry-me', { stream: 'orders', after })).kind).toBe('claimed');

    const outcome = await append(store, 'orders', 'retry-me', head!.head);
    expect(outcome?.ok, 'the retry is written at once, at the slot the claim names').toBe(true);
    expect((await ghost.read('retry-me')).kind, 'the claim leads to it').toBe('stored');
    const again = await append(store, 'orders', 'retry-me');
    expect(again?.ok && again.dups, 'a second retry is a duplicate').toEqual([0]);
  });

  it('a claim whose slot another message took is free for anyone', async () => {
    const names = stores.fresh();
    const store = await open(names, { claimWaitMs: 60_000, claimTimeoutMs: 60_000 });
    const ghost = await claimsOf(names);
    expect((await ghost.claim('stale', { stream: 'orders', after: 0 })).kind).toBe('claimed');
    await append(store, 'orders', 'someone-else');
    const state = await ghost.read('stale');
    expect(state.kind === 'open' && !state.pending, 'the slot is taken by a message without the id').toBe(true);
    const outcome = await append(store, 'payments', 'stale');
    expect(outcome?.ok, 'written to another stream without waiting for the claim to age').toBe(true);
  });

  it('claims of appends that wrote nothing are given back', async () => {
    const names = stores.fresh();
    const store = await open(names, { claimWaitMs: 60_000, claimTimeoutMs: 60_000 });
    await append(store, 'orders', 'base');
    const failed = await append(store, 'orders', 'refused', 7);
    expect(failed?.ok === false && failed.error.code).toBe('wrong-expected-version');
    const claims = await claimsOf(names);
    const deadline = Date.now() + 5_000;
    while ((await claims.read('refused')).kind !== 'absent' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await claims.read('refused')).kind, 'the claim of the refused append is released').toBe('absent');
    expect((await append(store, 'payments', 'refused'))?.ok, 'so the id is free for another stream at once').toBe(true);
  });
});
