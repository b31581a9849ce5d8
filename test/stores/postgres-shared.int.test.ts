import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../protocol/frames.js';
import type { AppendOutcome, AppendRequest } from '../../server-reference/stores/event-store.js';
import { PostgresStore } from '../../server-reference/stores/postgres/postgres-store.js';
import { POSTGRES_URL, TestSchemas, postgresAvailable, runSql } from './postgres-fixture.js';

/*
 * Several PostgresStore objects on one schema stand for several reference servers on one
 * database: they must order their appends among themselves and hear each other's commits.
 */

const available = await postgresAvailable();
const schemas = new TestSchemas();

function request(stream: string, ids: readonly string[], expected: AppendRequest['expected'] = 'any'): AppendRequest {
  return { stream, events: ids.map((id) => ({ id, type: 'Shared', data: { id } })), expected, dedupe: false };
}

function written(outcome: AppendOutcome | undefined): Extract<AppendOutcome, { ok: true }> {
  if (outcome === undefined || !outcome.ok) throw new Error(`the append failed: ${outcome?.ok === false ? outcome.error.message : 'no outcome'}`);
  return outcome;
}

/** Polls `check` until it returns true, every 20 ms, for at most `timeoutMs`. */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every event of the store in position order, read in pages (bounded). */
async function readEverything(store: PostgresStore): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for (let page = 0; page < 1_000; page++) {
    const batch = await store.readAll(all.length === 0 ? 1 : all[all.length - 1]!.pos + 1, 'forward', 200);
    all.push(...batch);
    if (batch.length < 200) return all;
  }
  throw new Error('readEverything: more than 1000 pages');
}

describe.skipIf(!available)('postgres store: several servers on one schema', { timeout: 60_000 }, () => {
  const opened: PostgresStore[] = [];

  async function openStores(schema: string, count: number): Promise<PostgresStore[]> {
    const stores = await Promise.all(Array.from({ length: count }, () => PostgresStore.open(POSTGRES_URL, { schema, poolSize: 3 })));
    opened.push(...stores);
    return stores;
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  afterAll(() => schemas.dropAll());

  it("two stores on one schema each hear the other's appends through onCommit, once each, in position order", async () => {
    const [a, b] = await openStores(schemas.fresh(), 2);
    const heardByA: StoredEvent[] = [];
    const heardByB: StoredEvent[] = [];
    a!.onCommit((events) => heardByA.push(...events));
    b!.onCommit((events) => heardByB.push(...events));

    written((await a!.append([request('orders.1', ['a1', 'a2'])]))[0]);
    written((await b!.append([request('orders.2', ['b1'])]))[0]);
    written((await a!.append([request('orders.1', ['a3'])]))[0]);
    written((await b!.append([request('orders.1', ['b2', 'b3'])]))[0]);

    const all = await readEverything(a!);
    expect(all.map((e) => e.id), 'both stores wrote to one log, in commit order').toEqual(['a1', 'a2', 'b1', 'a3', 'b2', 'b3']);
    expect(all.map((e) => e.pos), 'positions are dense across the stores').toEqual([1, 2, 3, 4, 5, 6]);
    expect(all.filter((e) => e.stream === 'orders.1').map((e) => [e.seq, e.tx]), 'seq and tx continue across the stores').toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
      [4, 3],
      [5, 3],
    ]);
    await eventually(() => heardByA.length >= all.length && heardByB.length >= all.length);
    expect(heardByA, "store A heard its own and B's commits, each event once, in position order").toEqual(all);
    expect(heardByB, "store B heard its own and A's commits, each event once, in position order").toEqual(all);
  });

  it('concurrent writers on several stores: a reader tailing by position sees every event exactly once, in order, and so do the listeners', async () => {
    const schema = schemas.fresh();
    const writers = await openStores(schema, 3);
    const [reader] = await openStores(schema, 1);
    const heard = writers.map(() => [] as StoredEvent[]);
    writers.forEach((store, i) => store.onCommit((events) => heard[i]!.push(...events)));

    const streams = ['s.a', 's.b', 's.c', 's.d'];
    const acked = new Map<string, { stream: string; seq: number; pos: number }>();
    let writing = true;

    // The tail: reads forward from the position after the last event it saw, as a live
    // subscription catching up does. A position that became visible late would be skipped.
    const tailed: StoredEvent[] = [];
    const tail = (async () => {
      const deadline = Date.now() + 50_000;
      for (let round = 0; round < 100_000 && Date.now() < deadline; round++) {
        const doneBefore = !writing;
        const from = tailed.length === 0 ? 1 : tailed[tailed.length - 1]!.pos + 1;
        const page = await reader!.readAll(from, 'forward', 25);
        tailed.push(...page);
        if (doneBefore && page.length === 0) return;
        if (page.length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();

    const loopsPerWriter = 4;
    const appendsPerLoop = 20;
    await Promise.all(
      writers.flatMap((store, w) =>
        Array.from({ length: loopsPerWriter }, async (_, l) => {
          for (let i = 0; i < appendsPerLoop; i++) {
            const label = `w${w}-l${l}-${i}`;
            const ids = Array.from({ length: 1 + ((w + l + i) % 3) }, (_, k) => `${label}-${k}`);
            const stream = streams[(w + l + i) % streams.length]!;
            // Some calls carry a second request, to another stream.
            const requests = i % 5 === 0 ? [request(stream, ids), request('s.z', [`${label}-z`])] : [request(stream, ids)];
            const outcomes = await store.append(requests);
            outcomes.forEach((outcome, r) => {
              const ok = written(outcome);
              requests[r]!.events.forEach((event, k) =>
                acked.set(event.id, { stream: requests[r]!.stream, seq: ok.seqs[k]!, pos: ok.positions[k]! }),
              );
            });
          }
        }),
      ),
    );
    writing = false;
    await tail;

    const all = await readEverything(reader!);
    expect(all.length, 'every acknowledged event is stored').toBe(acked.size);
    expect(all.map((e) => e.pos), 'positions are dense from 1 across the stores').toEqual(all.map((_, i) => i + 1));
    for (const event of all) {
      expect(acked.get(event.id), `event ${event.id} is where its ack said`).toEqual({ stream: event.stream, seq: event.seq, pos: event.pos });
    }
    for (const stream of [...streams, 's.z']) {
      const ofStream = all.filter((e) => e.stream === stream);
      expect(ofStream.map((e) => e.seq), `seqs of ${stream} are dense across the stores`).toEqual(ofStream.map((_, i) => i + 1));
      const txs = [...new Set(ofStream.map((e) => e.tx))];
      expect(txs, `tx of ${stream} grows by 1 per append across the stores`).toEqual(txs.map((_, i) => i + 1));
    }
    expect(
      tailed.map((e) => e.id),
      'the tailing reader saw every event exactly once, in position order, skipping none that committed late',
    ).toEqual(all.map((e) => e.id));

    await eventually(() => heard.every((list) => list.length >= all.length), 20_000);
    heard.forEach((list, i) => {
      expect(list.map((e) => e.pos), `store ${i}'s listener heard every event of every store once, in position order`).toEqual(
        all.map((e) => e.pos),
      );
      expect(list, `store ${i}'s listener heard the stored events`).toEqual(all);
    });
  });

  it('expected versions hold across stores: of appends expecting the same version on several stores, exactly one wins', async () => {
    const stores = await openStores(schemas.fresh(), 3);
    written((await stores[0]!.append([request('race', ['base'])]))[0]);
    const outcomes = await Promise.all(
      stores.flatMap((store, s) => [0, 1].map((i) => store.append([request('race', [`racer-${s}-${i}`], 1)]))),
    );
    const results = outcomes.map((list) => list[0]!);
    expect(results.filter((o) => o.ok), 'exactly one append expecting version 1 succeeds').toHaveLength(1);
    for (const result of results.filter((o) => !o.ok)) {
      expect(result.ok === false && result.error.code, 'the others fail with wrong-expected-version').toBe('wrong-expected-version');
    }
    expect((await stores[1]!.streamInfo('race'))?.head, 'one event was added').toBe(2);
  });

  it('ids are idempotent across stores: the same events appended through several stores are written once', async () => {
    const stores = await openStores(schemas.fresh(), 3);
    const outcomes = await Promise.all(stores.map((store) => store.append([request('retry', ['same-1', 'same-2'])])));
    const results = outcomes.map((list) => written(list[0]));
    expect(results.filter((r) => r.written.length > 0), 'exactly one store wrote the events').toHaveLength(1);
    for (const result of results) expect(result.positions, 'every store answers the same positions').toEqual([1, 2]);
    expect(await stores[2]!.headPosition(), 'stored once').toBe(2);
  });

  it('a store whose LISTEN connection is lost connects again and hears the commits made meanwhile', async () => {
    const schema = schemas.fresh();
    const [listening, other] = await openStores(schema, 2);
    const heard: string[] = [];
    listening!.onCommit((events) => heard.push(...events.map((e) => e.id)));
    written((await other!.append([request('s', ['before'])]))[0]);
    await eventually(() => heard.length === 1);
    expect(heard, 'heard the first commit').toEqual(['before']);

    const terminated = await runSql<{ ok: boolean }>(
      'SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1',
      [`tauon-listen:${schema}`],
    );
    // Both stores LISTEN on the schema; both lose their connection.
    expect(terminated.length, 'the LISTEN connections were found and terminated').toBe(2);
    written((await other!.append([request('s', ['while-down-1', 'while-down-2'])]))[0]);
    written((await other!.append([request('s', ['while-down-3'])]))[0]);

    await eventually(() => heard.length >= 4);
    expect(heard, 'after reconnecting, the commits made while it was down were heard, once each, in order').toEqual([
      'before',
      'while-down-1',
      'while-down-2',
      'while-down-3',
    ]);
    written((await other!.append([request('s', ['after'])]))[0]);
    await eventually(() => heard.length >= 5);
    expect(heard.slice(4), 'and later commits are heard live again').toEqual(['after']);
  });
});
