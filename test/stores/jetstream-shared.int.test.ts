import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EventInput, StoredEvent } from '../../protocol/frames.js';
import type { AppendOutcome, AppendRequest } from '../../server-reference/stores/event-store.js';
import type { JetStreamStore } from '../../server-reference/stores/jetstream/jetstream-store.js';
import { TestStores, natsAvailable, type TestStoreNames } from './jetstream-fixture.js';

// Several stateless servers in front of one JetStream: here, several JetStreamStore instances
// on one JetStream stream, each with its own NATS connection, as separate processes would be.

const available = await natsAvailable();
const stores = new TestStores();
const opened: JetStreamStore[] = [];

async function twoServers(options = {}): Promise<[JetStreamStore, JetStreamStore, TestStoreNames]> {
  const names = stores.fresh();
  const a = await stores.open(names, options);
  opened.push(a);
  const b = await stores.open(names, options);
  opened.push(b);
  return [a, b, names];
}

function request(stream: string, events: (EventInput & { id: string })[], expected: AppendRequest['expected'] = 'any'): AppendRequest {
  return { stream, events, expected, dedupe: false };
}

function ok(outcome: AppendOutcome | undefined): Extract<AppendOutcome, { ok: true }> {
  if (outcome === undefined) throw new Error('no outcome');
  if (!outcome.ok) throw new Error(`append failed: ${outcome.error.code}: ${outcome.error.message}`);
  return outcome;
}

/** Waits (bounded) until `condition` holds. */
async function eventually(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Every event of the store in position order, in pages (bounded). */
async function everything(store: JetStreamStore): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  let from = 1;
  for (let page = 0; page < 1000; page++) {
    const batch = await store.readAll(from, 'forward', 500);
    all.push(...batch);
    if (batch.length < 500) return all;
    from = batch[batch.length - 1]!.pos + 1;
  }
  throw new Error('more than 1000 pages');
}

describe.skipIf(!available)('jetstream store: several servers on one JetStream', { timeout: 60_000 }, () => {
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });

  afterAll(() => stores.deleteAll());

  it('each server hears the commits of the other live, once each, in position order', async () => {
    const [a, b] = await twoServers();
    const heardByA: StoredEvent[] = [];
    const heardByB: StoredEvent[] = [];
    a.onCommit((events) => heardByA.push(...events));
    b.onCommit((events) => heardByB.push(...events));

    ok((await a.append([request('orders.1', [{ id: 'a1', type: 'Placed' }])]))[0]);
    await eventually(() => heardByB.length === 1, "B hearing A's append");
    expect(heardByB[0], "B hears A's event as stored").toEqual(await b.findEvent('a1'));

    ok((await b.append([request('orders.2', [{ id: 'b1', type: 'Placed' }, { id: 'b2', type: 'Paid' }])]))[0]);
    await eventually(() => heardByA.length === 3, "A hearing B's append");

    // Interleaved appends from both, some concurrent.
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => a.append([request(`orders.${i % 3}`, [{ id: `a-${i}`, type: 'T' }])])),
      ...Array.from({ length: 20 }, (_, i) => b.append([request(`orders.${i % 4}`, [{ id: `b-${i}`, type: 'T' }])])),
    ]);
    const all = await everything(a);
    expect(all, 'every event is stored').toHaveLength(43);
    await eventually(() => heardByA.length === all.length && heardByB.length === all.length, 'both hearing everything');
    expect(heardByA, 'A heard every commit once, in position order').toEqual(all);
    expect(heardByB, 'B heard every commit once, in position order').toEqual(all);
  });

  it('concurrent writers on one stream from two servers lose nothing, never interleave an append, and keep seqs dense', async () => {
    const [a, b] = await twoServers();
    const heard: StoredEvent[] = [];
    b.onCommit((events) => heard.push(...events));
    const acked = new Map<string, { seq: number; pos: number; tx: number }>();
    const appendsPerWriter = 25;
    // Four writers per server, each awaiting its own appends in turn (so its appends have an order).
    const writer = async (store: JetStreamStore, name: string): Promise<void> => {
      let previousSeq = 0;
      for (let i = 0; i < appendsPerWriter; i++) {
        const events = Array.from({ length: 1 + (i % 3) }, (_, k) => ({ id: `${name}-${i}-${k}`, type: 'T', data: { writer: name, i, k } }));
        const outcome = ok((await store.append([request('contested', events)]))[0]);
        expect(outcome.seqs, `${name}: the events of one append get consecutive seqs`).toEqual(
          outcome.seqs.map((_, k) => outcome.seqs[0]! + k),
        );
        expect(outcome.seqs[0]!, `${name}: a writer's later append comes after its earlier one`).toBeGreaterThan(previousSeq);
        previousSeq = outcome.seqs[outcome.seqs.length - 1]!;
        events.forEach((event, k) => acked.set(event.id, { seq: outcome.seqs[k]!, pos: outcome.positions[k]!, tx: outcome.tx }));
      }
    };
    await Promise.all([
      ...['a1', 'a2', 'a3', 'a4'].map((name) => writer(a, name)),
      ...['b1', 'b2', 'b3', 'b4'].map((name) => writer(b, name)),
    ]);

    const stream = await a.readStream('contested', 1, 'forward', 10_000);
    expect(stream.length, 'every acknowledged event is stored').toBe(acked.size);
    expect(stream.map((e) => e.seq), 'seqs are dense from 1').toEqual(stream.map((_, i) => i + 1));
    for (const event of stream) {
      expect({ seq: event.seq, pos: event.pos, tx: event.tx }, `event ${event.id} is where its ack said`).toEqual(acked.get(event.id));
    }
    const txs = stream.map((e) => e.tx);
    expect([...new Set(txs)], 'tx grows by 1 per append').toEqual([...new Set(txs)].map((_, i) => i + 1));
    // An append's events are contiguous: its tx never reappears after another tx.
    for (let i = 1; i < txs.length; i++) expect(txs[i]! >= txs[i - 1]!, 'appends are not interleaved').toBe(true);
    expect((await b.streamInfo('contested'))?.head, 'both servers see the same head').toBe(stream.length);
    await eventually(() => heard.length === stream.length, 'B hearing every commit');
    expect(heard, 'B heard every event of both servers once, in order').toEqual(stream);
  });

  it('an expected version raced from two servers: exactly one append wins', async () => {
    const [a, b] = await twoServers();
    ok((await a.append([request('race', [{ id: 'base', type: 'T' }])]))[0]);
    // B must know the stream before the race, so that both plan against version 1.
    expect((await b.streamInfo('race'))?.head).toBe(1);
    const outcomes = (
      await Promise.all([
        ...Array.from({ length: 4 }, (_, i) => a.append([request('race', [{ id: `a${i}`, type: 'T' }], 1)])),
        ...Array.from({ length: 4 }, (_, i) => b.append([request('race', [{ id: `b${i}`, type: 'T' }], 1)])),
      ])
    ).flat();
    expect(outcomes.filter((o) => o.ok), 'one winner').toHaveLength(1);
    for (const outcome of outcomes.filter((o) => !o.ok)) {
      expect(outcome.ok ? undefined : outcome.error.details, 'the losers learn the actual version').toEqual({ stream: 'race', expected: 1, actual: 2 });
    }
  });

  it('a retry through the other server is answered as a duplicate, also after the duplicate window', async () => {
    const [a, b] = await twoServers({ duplicateWindowMs: 300 });
    const events = [
      { id: 'order-1', type: 'Placed', data: { total: 5 } },
      { id: 'order-2', type: 'Placed', data: { total: 7 } },
    ];
    const original = ok((await a.append([request('orders', events, 'none')]))[0]);
    // Past JetStream's duplicate window: only the id claims remember these ids now.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const retry = ok((await b.append([request('orders', events, 'none')]))[0]);
    expect(retry, 'the retry answers the original append').toMatchObject({
      tx: original.tx,
      seqs: original.seqs,
      positions: original.positions,
      dups: [0, 1],
      written: [],
    });
    const elsewhere = (await b.append([request('other', [{ id: 'order-2', type: 'Placed' }])]))[0];
    expect(elsewhere?.ok === false && elsewhere.error.code, 'an id is unique across streams and servers').toBe('duplicate-id');
    expect(await b.findEvent('order-1'), "B finds A's event by id").toEqual(original.written[0]);
    expect((await a.readAll(1, 'forward', 10)).map((e) => e.id), 'nothing stored twice').toEqual(['order-1', 'order-2']);
  });

  it('concurrent retries of the same events through both servers write them once', async () => {
    const [a, b] = await twoServers();
    const events = Array.from({ length: 3 }, (_, i) => ({ id: `same-${i}`, type: 'T' }));
    const outcomes = (
      await Promise.all([0, 1, 2, 3].map((i) => (i % 2 === 0 ? a : b).append([request('retried', events)])))
    ).map((o) => ok(o[0]));
    expect(outcomes.filter((o) => o.written.length > 0), 'exactly one wrote').toHaveLength(1);
    for (const outcome of outcomes) {
      expect(outcome.seqs, 'all answer the same seqs').toEqual([1, 2, 3]);
      expect(outcome.positions, 'and the same positions').toEqual(outcomes[0]!.positions);
    }
    expect(await a.readStream('retried', 1, 'forward', 10), 'stored once').toHaveLength(3);
  });

  it('a server opened later continues seqs, transactions and positions, and sees earlier ids', async () => {
    const names = stores.fresh();
    const first = await stores.open(names);
    const original = ok((await first.append([request('s', [{ id: 'e1', type: 'T' }, { id: 'e2', type: 'T' }])]))[0]);
    await first.close();
    const later = await stores.open(names);
    opened.push(later);
    const next = ok((await later.append([request('s', [{ id: 'e3', type: 'T' }], 2)]))[0]);
    expect(next.seqs, 'seq continues').toEqual([3]);
    expect(next.tx, 'tx continues').toBe(2);
    expect(next.positions[0]!, 'positions continue').toBeGreaterThan(original.positions[1]!);
    const retry = ok((await later.append([request('s', [{ id: 'e1', type: 'T' }])]))[0]);
    expect(retry.dups, 'ids survive').toEqual([0]);
  });
});
