import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../protocol/frames.js';
import { TauonServer } from '../../server-reference/server.js';
import type { ProjectionDefinition } from '../../server-reference/projections/projection-definition.js';
import type { ProjectionChangeNotice } from '../../server-reference/projections/projection-service.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { PostgresStore } from '../../server-reference/stores/postgres/postgres-store.js';
import { POSTGRES_URL, TestSchemas, postgresAvailable } from '../stores/postgres-fixture.js';
import { TestStores, natsAvailable } from '../stores/jetstream-fixture.js';

const [postgres, nats] = await Promise.all([postgresAvailable(), natsAvailable()]);
const schemas = new TestSchemas();
const jetStreams = new TestStores();
afterAll(async () => {
  await schemas.dropAll();
  await jetStreams.deleteAll();
});
if (!postgres) describe.skip('server-side projections on the postgres store: PostgreSQL is not running on 127.0.0.1:5432', () => undefined);
if (!nats) describe.skip('server-side projections on the jetstream store: NATS is not running on 127.0.0.1:4222', () => undefined);

/** The stores the engine is tested on: the memory store, lmdb (the default of `tauon serve`), and PostgreSQL and JetStream when they run. */
const STORES: readonly [string, () => Promise<{ store: EventStore; remove: () => void }>][] = [
  ['memory', () => Promise.resolve({ store: new MemoryStore(), remove: () => undefined })],
  [
    'lmdb',
    async () => {
      const path = mkdtempSync(join(tmpdir(), 'tauon-projection-engine-'));
      return { store: await LmdbStore.open(path), remove: () => rmSync(path, { recursive: true, force: true }) };
    },
  ],
  ...(postgres
    ? [['postgres', async () => ({ store: await PostgresStore.open(POSTGRES_URL, { schema: schemas.fresh() }), remove: () => undefined })] as [string, () => Promise<{ store: EventStore; remove: () => void }>]]
    : []),
  ...(nats ? [['jetstream', async () => ({ store: await jetStreams.open(), remove: () => undefined })] as [string, () => Promise<{ store: EventStore; remove: () => void }>]] : []),
];

let servers: TauonServer[] = [];
let opened: { store: EventStore; remove: () => void }[] = [];
afterEach(async () => {
  for (const server of servers) await server.close();
  for (const { store, remove } of opened) {
    await store.close();
    remove();
  }
  servers = [];
  opened = [];
});

/** Appends events to a stream; resolves with the last position written. */
async function emit(target: TauonServer, stream: string, events: { type: string; key?: string; data?: unknown }[]): Promise<number> {
  const answer = await target.request({ type: 'append', id: 0, stream, events });
  if (answer.type !== 'appended') throw new Error(`append failed: ${JSON.stringify(answer)}`);
  return answer.positions.at(-1)!;
}

const count: ProjectionDefinition<{ n: number; sum: number }> = {
  name: 'totals',
  stream: 'orders.*',
  initial: { n: 0, sum: 0 },
  evolve: (state, event) => ({ n: state.n + 1, sum: state.sum + (event.data as { amount: number }).amount }),
};

const byCustomer: ProjectionDefinition<string[]> = {
  name: 'by-customer',
  stream: 'orders.*',
  filter: { types: ['placed'] },
  initial: [],
  key: (event) => (event.data as { customer?: string }).customer,
  evolve: (state, event) => [...state, event.id],
};

/** An order event of `customer` for `amount`. */
function order(customer: string | undefined, amount: number, type = 'placed'): { type: string; data: unknown } {
  return { type, data: customer === undefined ? { amount } : { customer, amount } };
}

describe.each(STORES)('server-side projections on the %s store', (_kind, openStore) => {
  /** A fresh store of this kind, closed and removed after the test. */
  async function freshStore(): Promise<EventStore> {
    const made = await openStore();
    opened.push(made);
    return made.store;
  }

  /** A server running `projections` on `on` (a fresh store when not given). */
  async function start(projections: ProjectionDefinition[], on?: EventStore): Promise<TauonServer> {
    const server = new TauonServer({ store: on ?? (await freshStore()), projections, errorLog: () => undefined });
    servers.push(server);
    return server;
  }

  it('folds the history, follows live commits, and answers reads that wait for a position', async () => {
    const running = await start([count]);
    await emit(running, 'orders.1', [order('a', 1), order('b', 2)]);
    await emit(running, 'other', [order('a', 100)]);
    const last = await emit(running, 'orders.2', [order('a', 3)]);
    const read = await running.projections!.get('totals', '', { atLeast: last, timeoutMs: 5000 });
    expect(read).toMatchObject({ name: 'totals', key: '', found: true, value: { n: 3, sum: 6 } });
    expect(read.checkpoint).toBeGreaterThanOrEqual(last);
    const live = await emit(running, 'orders.1', [order('c', 10)]);
    expect((await running.projections!.get('totals', '', { atLeast: live })).value).toEqual({ n: 4, sum: 16 });
    const summary = await running.projections!.summary('totals');
    expect(summary).toMatchObject({ name: 'totals', stream: 'orders.*', keyed: false, status: 'running', checkpoint: live, head: live, lag: 0 });
  });

  it('keeps one state per key, passes over events without a key and filtered ones, and pages the entries in key order', async () => {
    const running = await start([byCustomer]);
    await emit(running, 'orders.1', [order('b', 1), order(undefined, 2), order('a', 3), order('a', 4, 'cancelled')]);
    const last = await emit(running, 'orders.2', [order('c', 5), order('a', 6)]);
    await running.projections!.get('by-customer', 'a', { atLeast: last });
    const page = await running.projections!.entries('by-customer', undefined, 2);
    expect(page.entries.map((entry) => entry.key)).toEqual(['a', 'b']);
    expect(page.more).toBe(true);
    expect(page.entries[0]!.value).toHaveLength(2);
    const rest = await running.projections!.entries('by-customer', 'b', 10);
    expect(rest).toMatchObject({ entries: [{ key: 'c' }], more: false });
    expect(await running.projections!.get('by-customer', 'nobody')).toMatchObject({ found: false });
  });

  it('tells watchers of each committed change, of every key or of one', async () => {
    const running = await start([byCustomer]);
    const all: ProjectionChangeNotice[] = [];
    const onlyA: ProjectionChangeNotice[] = [];
    const stopAll = running.projections!.watch('by-customer', undefined, (change) => all.push(change));
    running.projections!.watch('by-customer', 'a', (change) => onlyA.push(change));
    const first = await emit(running, 'orders.1', [order('a', 1), order('b', 2)]);
    await running.projections!.get('by-customer', 'a', { atLeast: first });
    stopAll();
    const second = await emit(running, 'orders.1', [order('a', 3)]);
    await running.projections!.get('by-customer', 'a', { atLeast: second });
    expect(all.map((change) => change.key).sort()).toEqual(['a', 'b']);
    expect(onlyA.map((change) => (change.value as string[]).length)).toEqual([1, 2]);
    expect(onlyA.at(-1)!.checkpoint).toBe(second);
  });

  it('a read waiting for a position never reached fails timeout with the checkpoint', async () => {
    const running = await start([count]);
    const last = await emit(running, 'orders.1', [order('a', 1)]);
    await running.projections!.get('totals', '', { atLeast: last });
    await expect(running.projections!.get('totals', '', { atLeast: last + 5, timeoutMs: 20 })).rejects.toMatchObject({ code: 'timeout', details: { checkpoint: last } });
    await expect(running.projections!.get('totals', '', { atLeast: 1, timeoutMs: 600_000 })).rejects.toMatchObject({ code: 'bad-frame' });
    await expect(running.projections!.get('nope', '')).rejects.toMatchObject({ code: 'not-found' });
  });

  it('a projection whose evolve throws stops with its error, keeps the states before it, and the others go on', async () => {
    const failing: ProjectionDefinition<number> = {
      name: 'failing',
      stream: 'orders.*',
      initial: 0,
      evolve: (state, event) => {
        if ((event.data as { amount: number }).amount === 13) throw new Error('unlucky');
        return state + 1;
      },
    };
    const running = await start([failing, count]);
    // Positions need not be dense (JetStream's are not): the one before the failing event is the last of this emit.
    const before = await emit(running, 'orders.1', [order('a', 1), order('a', 2)]);
    await emit(running, 'orders.1', [order('a', 13)]);
    const after = await emit(running, 'orders.1', [order('a', 4)]);
    expect((await running.projections!.get('totals', '', { atLeast: after })).value).toEqual({ n: 4, sum: 20 });
    await expect(running.projections!.get('failing', '', { atLeast: after, timeoutMs: 5000 })).rejects.toMatchObject({ code: 'projection-failed' });
    const summary = await running.projections!.summary('failing');
    expect(summary).toMatchObject({ status: 'failed', checkpoint: before });
    expect(summary.error).toContain('unlucky');
    expect(await running.projections!.get('failing', '')).toMatchObject({ value: 2, checkpoint: before });
    const info = await running.request({ type: 'info', id: 1 });
    if (info.type !== 'server-info') throw new Error(`not server-info: ${info.type}`);
    expect(info.features).toContain('projections');
    const listed = info.projections?.find((p) => p.name === 'failing');
    expect(listed?.status).toBe('failed');
    expect(listed?.error).toContain('unlucky');
  });

  it('a state that is not plain data or is too large fails the projection with a clear error', async () => {
    const mapState: ProjectionDefinition = { name: 'map', stream: 'orders.1*', initial: null, evolve: () => new Map() };
    const huge: ProjectionDefinition = { name: 'huge', stream: 'orders.1*', initial: '', evolve: () => 'x'.repeat(600 * 1024) };
    const running = await start([mapState, huge]);
    const last = await emit(running, 'orders.1', [order('a', 1)]);
    await expect(running.projections!.get('map', '', { atLeast: last })).rejects.toMatchObject({ code: 'projection-failed' });
    await expect(running.projections!.get('huge', '', { atLeast: last })).rejects.toMatchObject({ code: 'projection-failed' });
    expect((await running.projections!.summary('map')).error).toMatch(/Map.*not plain data/);
    expect((await running.projections!.summary('huge')).error).toMatch(/bytes of JSON, more than the 524288/);
  });

  it('a state changed in place fails: evolve gets frozen states', async () => {
    const mutating: ProjectionDefinition<{ n: number }> = {
      name: 'mutating',
      stream: 'orders.1*',
      initial: { n: 0 },
      evolve: (state) => {
        state.n += 1;
        return state;
      },
    };
    const running = await start([mutating]);
    const last = await emit(running, 'orders.1', [order('a', 1)]);
    await expect(running.projections!.get('mutating', '', { atLeast: last })).rejects.toMatchObject({ code: 'projection-failed' });
    expect((await running.projections!.summary('mutating')).error).toMatch(/read.only|read-only|Cannot assign/);
  });

  it('rebuild starts over from the start: a fixed failure runs again', async () => {
    let broken = true;
    const flaky: ProjectionDefinition<number> = {
      name: 'flaky',
      stream: 'orders.1*',
      initial: 0,
      evolve: (state) => {
        if (broken) throw new Error('not yet');
        return state + 1;
      },
    };
    const running = await start([flaky]);
    const last = await emit(running, 'orders.1', [order('a', 1), order('a', 2), order('a', 3)]);
    await expect(running.projections!.get('flaky', '', { atLeast: last })).rejects.toMatchObject({ code: 'projection-failed' });
    broken = false;
    await running.projections!.rebuild('flaky');
    expect((await running.projections!.get('flaky', '', { atLeast: last })).value).toBe(3);
    expect((await running.projections!.summary('flaky')).status).toBe('running');
  });

  it('a restarted server goes on from the stored checkpoint: no event is applied twice', async () => {
    const seen: StoredEvent[] = [];
    const counting: ProjectionDefinition<number> = {
      name: 'counting',
      stream: '$all',
      initial: 0,
      evolve: (state, event) => {
        seen.push(event);
        return state + 1;
      },
    };
    const memory = await freshStore();
    const first = await start([counting], memory);
    const last = await emit(first, 'a', [order('a', 1), order('a', 2)]);
    await first.projections!.get('counting', '', { atLeast: last });
    await first.close();
    const running = await start([counting], memory);
    const more = await emit(running, 'b', [order('a', 3)]);
    expect((await running.projections!.get('counting', '', { atLeast: more })).value).toBe(3);
    const stored = await memory.readAll(1, 'forward', 10);
    expect(seen.map((event) => event.pos), 'each event applied once, in order').toEqual(stored.map((event) => event.pos));
    expect(stored.at(-1)!.pos).toBe(more);
  });

  it('a changed definition under a stored state fails, asking for a rebuild, unless it says onChange: rebuild', async () => {
    const memory = await freshStore();
    const v1: ProjectionDefinition<number> = { name: 'p', stream: 'a*', initial: 0, evolve: (n) => n + 1 };
    const first = await start([v1], memory);
    const last = await emit(first, 'a', [order('a', 1), order('a', 2)]);
    await first.projections!.get('p', '', { atLeast: last });
    await first.close();
    const v2: ProjectionDefinition<number> = { name: 'p', stream: 'a*', initial: 0, evolve: (n) => n + 10 };
    const second = await start([v2], memory);
    await expect(second.projections!.get('p', '', { atLeast: last + 1, timeoutMs: 5000 })).rejects.toMatchObject({ code: 'projection-failed' });
    expect((await second.projections!.summary('p')).error).toMatch(/another definition.*rebuild/);
    await second.close();
    const running = await start([{ ...v2, onChange: 'rebuild' }], memory);
    expect((await running.projections!.get('p', '', { atLeast: last })).value).toBe(20);
  });

  it('two servers on one store running the same projection keep one history: each event applied once', async () => {
    const shared = await freshStore();
    const sum: ProjectionDefinition<{ n: number; sum: number }> = {
      name: 'shared-sum',
      stream: 'orders.*',
      initial: { n: 0, sum: 0 },
      evolve: (state, event) => ({ n: state.n + 1, sum: state.sum + (event.data as { amount: number }).amount }),
    };
    const one = await start([sum], shared);
    const two = await start([sum], shared);
    let last = 0;
    let total = 0;
    for (let batch = 0; batch < 40; batch += 1) {
      const events = Array.from({ length: 10 }, (_, i) => order(`c${i}`, batch * 10 + i));
      total += events.reduce((acc, event) => acc + (event.data as { amount: number }).amount, 0);
      last = await emit(batch % 2 === 0 ? one : two, `orders.${batch % 3}`, events);
    }
    const fromOne = await one.projections!.get('shared-sum', '', { atLeast: last, timeoutMs: 30_000 });
    const fromTwo = await two.projections!.get('shared-sum', '', { atLeast: last, timeoutMs: 30_000 });
    expect(fromOne.value).toEqual({ n: 400, sum: total });
    expect(fromTwo.value).toEqual({ n: 400, sum: total });
  });

  it('refuses bad definitions with errors that name them', async () => {
    const memory = await freshStore();
    expect(() => new TauonServer({ store: memory, projections: [{ name: '$x', stream: 'a', initial: 0, evolve: (n) => n }] })).toThrow(/"\$x".*name/);
    expect(() => new TauonServer({ store: memory, projections: [{ name: 'x', stream: 'a', initial: undefined, evolve: (n) => n }] })).toThrow(/initial/);
    expect(() => new TauonServer({ store: memory, projections: [{ name: 'x', stream: 'a', initial: 0 } as unknown as ProjectionDefinition] })).toThrow(/evolve/);
    const same = { name: 'x', stream: 'a', initial: 0, evolve: (n: unknown) => n };
    expect(() => new TauonServer({ store: memory, projections: [same, same] })).toThrow(/registered twice/);
  });
});
