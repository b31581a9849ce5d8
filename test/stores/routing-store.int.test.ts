import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describeEventStore } from '../conformance/index.js';
import { connect, type Client } from '../../client/index.js';
import type { StoredEvent } from '../../protocol/frames.js';
import type { AppendRequest, EventStore } from '../../server-reference/stores/event-store.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { RoutingStore } from '../../server-reference/stores/routing/routing-store.js';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryServerTransport, memoryTransport } from '../../transports/memory/index.js';
import { PostgresStore } from '../../server-reference/stores/postgres/postgres-store.js';
import type { JetStreamStore } from '../../server-reference/stores/jetstream/jetstream-store.js';
import { POSTGRES_URL, postgresAvailable } from './postgres-fixture.js';
import { natsAvailable } from './jetstream-fixture.js';
import { serviceStoreNames } from './service-store-names.js';
import { until as waitUntil } from '../support/until.js';

const directories: string[] = [];
function freshDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'tauon-routing-'));
  directories.push(directory);
  return directory;
}
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

// With every route leading into one store there is one numbering of positions, so the whole
// contract holds, `$all` included: the routing itself must not break any rule.
describeEventStore(
  'routing, every route into one memory store',
  () => {
    const store = new MemoryStore();
    return Promise.resolve(new RoutingStore({ routes: [{ prefix: 'orders.', store }, { prefix: 's.', store }], fallback: store }));
  },
  { densePositions: true },
);
describeEventStore(
  'routing, every route into one lmdb store',
  async () => {
    const store = await LmdbStore.open(freshDirectory());
    return new RoutingStore({ routes: [{ prefix: 't.', store }, { prefix: 'u', store }], fallback: store });
  },
  { densePositions: true },
);

function append(stream: string, ...ids: string[]): AppendRequest {
  return { stream, events: ids.map((id) => ({ id, type: 'T', data: { id } })), expected: 'any', dedupe: false };
}

function written(outcome: Awaited<ReturnType<EventStore['append']>>[number] | undefined): StoredEvent[] {
  if (outcome === undefined || !outcome.ok) throw new Error(`expected a success, got ${JSON.stringify(outcome)}`);
  return outcome.written;
}

describe('routing store over memory and lmdb stores', () => {
  let orders: MemoryStore;
  let euOrders: MemoryStore;
  let main: LmdbStore;
  let routing: RoutingStore;

  beforeEach(async () => {
    orders = new MemoryStore();
    euOrders = new MemoryStore();
    main = await LmdbStore.open(freshDirectory());
    routing = new RoutingStore({
      routes: [
        { prefix: 'orders.', store: orders },
        { prefix: 'orders.eu.', store: euOrders },
      ],
      fallback: main,
      names: new Map<EventStore, string>([
        [orders, 'orders'],
        [euOrders, 'eu'],
        [main, 'main'],
      ]),
    });
  });
  afterEach(async () => {
    await routing.close();
  });

  it('puts each stream in the store of the longest prefix it starts with, the rest in the fallback', async () => {
    const outcomes = await routing.append([
      append('orders.us.1', 'a'),
      append('orders.eu.1', 'b'),
      append('orders', 'c'),
      append('users.1', 'd'),
      append('orders.eu', 'e'),
    ]);
    expect(outcomes.every((outcome) => outcome.ok), 'every append succeeds').toBe(true);
    expect((await orders.readAll(1, 'forward', 10)).map((e) => e.id), 'orders.* except orders.eu.*').toEqual(['a', 'e']);
    expect((await euOrders.readAll(1, 'forward', 10)).map((e) => e.id), 'orders.eu.*: the longer prefix wins').toEqual(['b']);
    expect((await main.readAll(1, 'forward', 10)).map((e) => e.id), 'no route matches: the fallback').toEqual(['c', 'd']);
    expect(routing.storeFor('orders.eu.9')).toBe(euOrders);
    expect(routing.storeFor('orders.')).toBe(orders);
    expect(routing.storeFor('order')).toBe(main);
  });

  it('answers one call across stores in order, with each store’s positions, and chain-broken per stream', async () => {
    await routing.append([append('orders.1', 'o1'), append('users.1', 'u1')]);
    const outcomes = await routing.append([
      append('orders.1', 'o2'),
      { ...append('users.1', 'u2'), expected: 5 },
      append('users.1', 'u3'),
      append('orders.eu.1', 'e1'),
      append('users.2', 'v1'),
      append('orders.1', 'o3'),
    ]);
    expect(outcomes.map((outcome) => (outcome.ok ? 'ok' : outcome.error.code))).toEqual([
      'ok',
      'wrong-expected-version',
      'chain-broken',
      'ok',
      'ok',
      'ok',
    ]);
    expect(written(outcomes[0]).map((e) => [e.seq, e.pos]), 'orders.1 in the orders store').toEqual([[2, 2]]);
    expect(written(outcomes[3]).map((e) => [e.seq, e.pos]), 'orders.eu.1 in its own store').toEqual([[1, 1]]);
    expect(written(outcomes[4]).map((e) => [e.seq, e.pos]), 'users.2 in the fallback').toEqual([[1, 2]]);
    expect(written(outcomes[5]).map((e) => [e.seq, e.pos])).toEqual([[3, 3]]);
    expect((await routing.readStream('users.1', 1, 'forward', 10)).map((e) => e.id), 'nothing after the failure').toEqual(['u1']);
  });

  it('keeps the order of each stream across concurrent calls that span stores', async () => {
    const calls = Array.from({ length: 30 }, (_, i) =>
      routing.append([append('orders.1', `o${i}`), append('users.1', `u${i}`), append('orders.eu.1', `e${i}`)]),
    );
    await Promise.all(calls);
    for (const [stream, letter] of [
      ['orders.1', 'o'],
      ['users.1', 'u'],
      ['orders.eu.1', 'e'],
    ] as const) {
      const events = await routing.readStream(stream, 1, 'forward', 100);
      expect(events.map((e) => e.id), `${stream} in call order`).toEqual(Array.from({ length: 30 }, (_, i) => `${letter}${i}`));
    }
  });

  it('fails only the requests of a store that fails as a whole', async () => {
    await euOrders.close();
    const outcomes = await routing.append([append('orders.eu.1', 'x'), append('users.1', 'y')]);
    expect(outcomes[0]).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(outcomes[1]?.ok, 'the other store writes its part').toBe(true);
    await expect(routing.append([append('orders.eu.2', 'z')]), 'a call to that store alone rejects').rejects.toMatchObject({
      code: 'internal',
    });
  });

  it('refuses $all, and a pattern whose streams are in more than one store, naming the prefixes and stores', async () => {
    await routing.append([append('orders.1', 'o1'), append('users.1', 'u1')]);
    const all = await routing.readAll(1, 'forward', 10).catch((error: unknown) => error);
    expect(all).toMatchObject({ code: 'forbidden' });
    expect((all as Error).message).toBe(
      'cannot read "$all": its streams are in more than one store ("orders." -> orders (memory), "orders.eu." -> eu (memory), ' +
        'the rest -> main (lmdb)), and positions are per store; use a pattern whose streams are all in one store',
    );
    const spanning = await routing.readAll(1, 'forward', 10, 'ord').catch((error: unknown) => error);
    expect(spanning).toMatchObject({ code: 'forbidden' });
    expect((spanning as Error).message).toContain('cannot read "ord*"');
    const inner = await routing.readAll(1, 'forward', 10, 'orders.e').catch((error: unknown) => error);
    expect((inner as Error).message, 'a pattern under one route that reaches into a longer one').toContain(
      '("orders.eu." -> eu (memory), "orders." -> orders (memory))',
    );
    await expect(routing.headPosition(''), 'the head of $all').rejects.toMatchObject({ code: 'forbidden' });
    await expect(routing.headPosition('ord')).rejects.toMatchObject({ code: 'forbidden' });
    await expect(routing.findByTime(0, undefined, undefined)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(routing.findByTime(0, undefined, 'orders.')).rejects.toMatchObject({ code: 'forbidden' });
    await expect(routing.findByTime(0, undefined, 'orders.1')).resolves.toMatchObject({ id: 'o1' });
  });

  it('serves a pattern inside one route from that store, with its positions', async () => {
    await routing.append([append('users.1', 'u1', 'u2', 'u3'), append('orders.us.1', 'o1'), append('orders.us.2', 'o2')]);
    expect((await routing.readAll(1, 'forward', 10, 'orders.us.')).map((e) => [e.id, e.pos])).toEqual([
      ['o1', 1],
      ['o2', 2],
    ]);
    expect((await routing.readAll(9, 'backward', 10, 'orders.us.2')).map((e) => e.id)).toEqual(['o2']);
    expect((await routing.readAll(1, 'forward', 10, 'users')).map((e) => e.pos), 'a pattern under no route').toEqual([1, 2, 3]);
    expect(await routing.headPosition('orders.us.'), 'the head of the orders store').toBe(2);
    expect(await routing.headPosition('users.'), 'the head of the fallback').toBe(3);
    expect(await routing.headPosition(), 'info: the fallback’s head').toBe(3);
  });

  it('finds an event by id in any store, and by time in a stream of any store', async () => {
    await routing.append([append('orders.eu.1', 'e1'), append('orders.1', 'o1'), append('users.1', 'u1')]);
    expect((await routing.findEvent('e1'))?.stream).toBe('orders.eu.1');
    expect((await routing.findEvent('o1'))?.stream).toBe('orders.1');
    expect((await routing.findEvent('u1'))?.stream).toBe('users.1');
    expect(await routing.findEvent('nope')).toBeUndefined();
    expect((await routing.findByTime(0, 'orders.eu.1'))?.id).toBe('e1');
    expect((await routing.streamInfo('orders.1'))?.head).toBe(1);
    expect(await routing.streamInfo('orders.2')).toBeUndefined();
  });

  it('lists streams of every store in name order, paging with after', async () => {
    await routing.append([
      append('orders.eu.2', 'a'),
      append('b', 'b'),
      append('orders.us', 'c'),
      append('orders.eu.1', 'd'),
      append('z', 'e'),
      append('orders.a', 'f'),
    ]);
    const names = ['b', 'orders.a', 'orders.eu.1', 'orders.eu.2', 'orders.us', 'z'];
    expect((await routing.listStreams('', undefined, 100)).map((s) => s.stream)).toEqual(names);
    const paged: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const list = await routing.listStreams('', after, 2);
      paged.push(...list.map((s) => s.stream));
      if (list.length < 2) break;
      after = list[list.length - 1]!.stream;
    }
    expect(paged).toEqual(names);
    expect((await routing.listStreams('orders.', 'orders.eu.1', 10)).map((s) => s.stream)).toEqual(['orders.eu.2', 'orders.us']);
  });

  it('merges the commit notifications of every store, and removes the listener from all of them', async () => {
    const heard: string[][] = [];
    const remove = routing.onCommit((events) => heard.push(events.map((e) => e.id)));
    await routing.append([append('orders.1', 'o1'), append('users.1', 'u1', 'u2')]);
    await routing.append([append('orders.eu.1', 'e1')]);
    expect(heard.sort(), 'one notification per store commit').toEqual([['e1'], ['o1'], ['u1', 'u2']]);
    remove();
    await routing.append([append('orders.1', 'o2'), append('users.1', 'u3'), append('orders.eu.1', 'e2')]);
    expect(heard, 'nothing after removal').toHaveLength(3);
  });

  it('names the kinds of the stores behind it, and closes each store once', async () => {
    expect(routing.kind).toBe('routing');
    expect(routing.kinds).toEqual(['lmdb', 'memory']);
    await routing.close();
    await expect(routing.readStream('users.1', 1, 'forward', 1)).rejects.toMatchObject({ code: 'internal' });
    await expect(main.readStream('users.1', 1, 'forward', 1), 'the fallback is closed').rejects.toThrow();
    await expect(orders.readStream('orders.1', 1, 'forward', 1), 'a route’s store is closed').rejects.toThrow();
  });
});

describe('routing store: construction', () => {
  it('refuses an empty prefix and a prefix routed twice', () => {
    const store = new MemoryStore();
    expect(() => new RoutingStore({ routes: [{ prefix: '', store }], fallback: store })).toThrow(/non-empty prefix/);
    expect(
      () =>
        new RoutingStore({
          routes: [
            { prefix: 'a.', store },
            { prefix: 'a.', store: new MemoryStore() },
          ],
          fallback: store,
        }),
    ).toThrow('routing store: prefix "a." is routed twice');
  });

  it('labels unnamed stores by kind, numbered when kinds repeat, and lists nested kinds once', async () => {
    const first = new MemoryStore();
    const second = new MemoryStore();
    const inner = new RoutingStore({ routes: [{ prefix: 'x.', store: first }], fallback: second });
    const outer = new RoutingStore({ routes: [{ prefix: 'y.', store: inner }], fallback: new MemoryStore() });
    expect(outer.kinds).toEqual(['memory']);
    const routing = new RoutingStore({ routes: [{ prefix: 'a.', store: first }], fallback: second });
    await expect(routing.readAll(1, 'forward', 1)).rejects.toThrow('("a." -> memory 2, the rest -> memory 1)');
    // A nested routing store answers the head of the store under the prefix.
    await inner.append([append('x.1', 'x1', 'x2')]);
    expect(await outer.headPosition('y.x.'), 'y.* routes to the inner store, whose x.* is not y.x.*').toBe(0);
    await outer.append([append('y.1', 'y1')]);
    expect(await outer.headPosition('y.'), 'the inner fallback holds y.1').toBe(1);
    await outer.close();
  });
});

describe('routing store behind a reference server', () => {
  let routing: RoutingStore;
  let server: TauonServer;
  let client: Client;
  let orders: MemoryStore;
  let main: MemoryStore;

  beforeEach(async () => {
    orders = new MemoryStore();
    main = new MemoryStore();
    routing = new RoutingStore({ routes: [{ prefix: 'orders.', store: orders }], fallback: main });
    server = new TauonServer({ store: routing });
    const listener = new MemoryServerTransport();
    await server.listen(listener);
    client = await connect(memoryTransport(listener));
  });
  afterEach(async () => {
    await client.close();
    await server.close();
    await routing.close();
  });

  it('emits land in the routed store; info lists the kinds and the fallback’s head', async () => {
    await client.emit('orders.1', { type: 'Placed' });
    await client.emit('users.1', { type: 'Joined' });
    await client.emit('users.1', { type: 'Left' });
    expect((await orders.readStream('orders.1', 1, 'forward', 10)).map((e) => e.type)).toEqual(['Placed']);
    expect((await main.readStream('users.1', 1, 'forward', 10)).map((e) => e.type)).toEqual(['Joined', 'Left']);
    const info = await client.info();
    expect(info.stores).toEqual(['memory']);
    expect(info.head).toBe(2);
    expect((await client.streams()).streams.map((s) => s.stream)).toEqual(['orders.1', 'users.1']);
  });

  it('replays a stream of each store, and refuses a $all subscription with the routing error', async () => {
    await client.emit('orders.1', [{ type: 'A' }, { type: 'B' }]);
    await client.emit('users.1', { type: 'C' });
    expect((await firstValueFrom(client.replay('orders.1').pipe(toArray()))).map((e) => e.type)).toEqual(['A', 'B']);
    expect((await firstValueFrom(client.replay('users.1').pipe(toArray()))).map((e) => e.type)).toEqual(['C']);
    const refused = await firstValueFrom(client.replay('$all')).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'forbidden' });
    expect((refused as Error).message).toContain('"orders." -> memory');
  });

  it('follows a stream of each store live', async () => {
    const orderEvents = firstValueFrom(client.subscribe('orders.1', { mode: 'hot-cold' }).pipe(take(3), toArray()));
    const userEvents = firstValueFrom(client.subscribe('users.1', { mode: 'hot-cold' }).pipe(take(2), toArray()));
    await client.emit('orders.1', { type: 'O1' });
    await client.emit('users.1', { type: 'U1' });
    await client.emit('orders.1', [{ type: 'O2' }, { type: 'O3' }]);
    await client.emit('users.1', { type: 'U2' });
    expect((await orderEvents).map((e) => [e.type, e.seq])).toEqual([
      ['O1', 1],
      ['O2', 2],
      ['O3', 3],
    ]);
    expect((await userEvents).map((e) => e.type)).toEqual(['U1', 'U2']);
  });
});

const withPostgres = await postgresAvailable();
const withNats = await natsAvailable();
const { schemas, jetStreams } = serviceStoreNames();

/** The shared wait, with this file's time limit. */
const until = (done: () => boolean, what: string, timeoutMs = 5_000): Promise<void> => waitUntil(done, what, timeoutMs);

describe.skipIf(!withPostgres || !withNats)('routing store over PostgreSQL, JetStream and lmdb', () => {
  let pg: PostgresStore;
  let js: JetStreamStore;
  let main: LmdbStore;
  let routing: RoutingStore;

  beforeEach(async () => {
    pg = await PostgresStore.open(POSTGRES_URL, { schema: schemas.fresh('routing') });
    js = await jetStreams.open();
    main = await LmdbStore.open(freshDirectory());
    routing = new RoutingStore({
      routes: [
        { prefix: 'orders.', store: pg },
        { prefix: 'telemetry.', store: js },
      ],
      fallback: main,
      names: new Map<EventStore, string>([
        [pg, 'pg'],
        [js, 'js'],
        [main, 'main'],
      ]),
    });
  });
  afterEach(async () => {
    await routing.close();
  });

  it('writes one call to three stores, each stream to its own, and hears every store’s commits', async () => {
    const heard: string[] = [];
    routing.onCommit((events) => heard.push(...events.map((e) => e.id)));
    const outcomes = await routing.append([
      append('orders.1', 'o1', 'o2'),
      append('telemetry.cpu', 't1'),
      append('users.1', 'u1'),
      { ...append('orders.1', 'o3'), expected: 7 },
      append('orders.1', 'o4'),
      append('telemetry.cpu', 't2'),
    ]);
    expect(outcomes.map((outcome) => (outcome.ok ? 'ok' : outcome.error.code))).toEqual([
      'ok',
      'ok',
      'ok',
      'wrong-expected-version',
      'chain-broken',
      'ok',
    ]);
    expect((await pg.readStream('orders.1', 1, 'forward', 10)).map((e) => e.id), 'in PostgreSQL').toEqual(['o1', 'o2']);
    expect((await js.readStream('telemetry.cpu', 1, 'forward', 10)).map((e) => e.id), 'in JetStream').toEqual(['t1', 't2']);
    expect((await main.readStream('users.1', 1, 'forward', 10)).map((e) => e.id), 'in lmdb').toEqual(['u1']);
    await until(() => heard.length === 5, 'every commit of every store is heard');
    expect([...heard].sort()).toEqual(['o1', 'o2', 't1', 't2', 'u1']);
    expect(heard.filter((id) => id.startsWith('t')), 'each store’s commits in its order').toEqual(['t1', 't2']);

    expect((await routing.findEvent('t2'))?.stream).toBe('telemetry.cpu');
    expect((await routing.findEvent('o1'))?.stream).toBe('orders.1');
    expect((await routing.listStreams('', undefined, 10)).map((s) => s.stream)).toEqual(['orders.1', 'telemetry.cpu', 'users.1']);
    expect((await routing.readAll(1, 'forward', 10, 'telemetry.')).map((e) => e.id), 'a pattern inside JetStream').toEqual(['t1', 't2']);
    expect(routing.kinds).toEqual(['lmdb', 'postgres', 'jetstream']);
    await expect(routing.readAll(1, 'forward', 10)).rejects.toThrow(
      'cannot read "$all": its streams are in more than one store ("orders." -> pg (postgres), "telemetry." -> js (jetstream), the rest -> main (lmdb))',
    );
  });

  it('serves a client: emits land in their stores, a stream of each store is followed live', async () => {
    const server = new TauonServer({ store: routing });
    const listener = new MemoryServerTransport();
    await server.listen(listener);
    const client = await connect(memoryTransport(listener));
    try {
      const orders = firstValueFrom(client.subscribe('orders.7', { mode: 'hot-cold' }).pipe(take(2), toArray()));
      const cpu = firstValueFrom(client.subscribe('telemetry.cpu', { mode: 'hot-cold' }).pipe(take(2), toArray()));
      await client.emit('orders.7', { type: 'Placed' });
      await client.emit('telemetry.cpu', { type: 'Sampled', data: { load: 0.5 } });
      await client.emit('users.1', { type: 'Joined' });
      await client.emit('orders.7', { type: 'Paid' });
      await client.emit('telemetry.cpu', { type: 'Sampled', data: { load: 0.7 } });
      expect((await orders).map((e) => e.type)).toEqual(['Placed', 'Paid']);
      expect((await cpu).map((e) => e.data)).toEqual([{ load: 0.5 }, { load: 0.7 }]);
      expect((await client.info()).stores).toEqual(['lmdb', 'postgres', 'jetstream']);
      expect((await pg.streamInfo('orders.7'))?.count).toBe(2);
      expect((await js.streamInfo('telemetry.cpu'))?.count).toBe(2);
      expect((await main.streamInfo('users.1'))?.count).toBe(1);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
