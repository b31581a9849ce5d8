import { firstValueFrom } from 'rxjs';
import { take, toArray } from 'rxjs/operators';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../client/connect.js';
import type { Client, ProjectionChange } from '../../client/index.js';
import { TauonError } from '../../protocol/errors.js';
import { createAuthenticator } from '../../server-reference/auth/create-authenticator.js';
import type { ProjectionDefinition } from '../../server-reference/projections/projection-definition.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { startServer, type RunningServer, type TransportKind } from '../support/harness.js';
import { until as waitUntil } from '../support/until.js';

/*
 * The client's projection API end to end (SPEC 18) against the reference server and its engine
 * on a memory store, over memory and ws: reads with atLeast, pages, watches across a reconnect,
 * rebuilds, and the errors a user meets.
 */

/** Totals of the orders (unkeyed), over a pattern: its positions are store-wide pos. */
const TOTALS: ProjectionDefinition = {
  name: 'order-totals',
  stream: 'orders.*',
  initial: { orders: 0, total: 0 },
  evolve: (state, event) => {
    const { orders, total } = state as { orders: number; total: number };
    return { orders: orders + 1, total: total + (event.data as { amount: number }).amount };
  },
};

/** Items per cart (keyed by event key), over one stream: its positions are seqs. */
const CART_ITEMS: ProjectionDefinition = {
  name: 'cart-items',
  stream: 'carts',
  initial: 0,
  key: (event) => event.key,
  evolve: (count, event) => (event.type === 'Cleared' ? undefined : (count as number) + 1),
};

const TRANSPORT_KINDS: readonly TransportKind[] = ['memory', 'ws'];

let running: RunningServer | undefined;
let client: Client | undefined;
afterEach(async () => {
  await client?.close();
  await running?.close();
  client = undefined;
  running = undefined;
});

async function start(kind: TransportKind, options: Parameters<typeof startServer>[1] = {}): Promise<Client> {
  running = await startServer(kind, { projections: [TOTALS, CART_ITEMS], ...options });
  client = await connect(running.transport, { reconnect: { initialDelayMs: 20, maxDelayMs: 50 } });
  return client;
}

async function failureOf(promise: Promise<unknown>): Promise<TauonError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(TauonError);
  return outcome as TauonError;
}

describe.each(TRANSPORT_KINDS)('the projection client over %s', (kind) => {
  it('lists the projections with their selector, keyed, status, checkpoint and lag', async () => {
    const tauon = await start(kind);
    const info = await tauon.info();
    expect(info.features).toContain('projections');
    expect(info.projections?.map((one) => [one.name, one.status])).toEqual([
      ['cart-items', 'running'],
      ['order-totals', 'running'],
    ]);
    const list = await tauon.projections();
    expect(list.map((one) => [one.name, one.stream, one.keyed, one.status])).toEqual([
      ['cart-items', 'carts', true, 'running'],
      ['order-totals', 'orders.*', false, 'running'],
    ]);
    for (const one of list) expect(one.lag).toBe(Math.max(0, one.head - one.checkpoint));
  });

  it('reads its own writes: a read with atLeast the ack includes the emit, by pos for a pattern and by seq for a stream', async () => {
    const tauon = await start(kind);
    await tauon.emit('orders.1', { type: 'Placed', data: { amount: 5 } });
    const ack = await tauon.emit('orders.2', { type: 'Placed', data: { amount: 7 } });
    const totals = await tauon.projection('order-totals', undefined, { atLeast: ack.pos });
    expect(totals).toMatchObject({ name: 'order-totals', key: '', found: true, value: { orders: 2, total: 12 } });
    expect(totals.checkpoint).toBeGreaterThanOrEqual(ack.pos);
    const cart = await tauon.emit('carts', [
      { type: 'Added', key: 'cart-1' },
      { type: 'Added', key: 'cart-1' },
      { type: 'Added', key: 'cart-2' },
    ]);
    const items = await tauon.projection('cart-items', 'cart-1', { atLeast: cart.seqs.at(-1)! });
    expect(items).toMatchObject({ key: 'cart-1', found: true, value: 2 });
    expect(items.checkpoint).toBeGreaterThanOrEqual(3);
  });

  it('says found false for a key without a value, and fails not-found, timeout and bad-frame with their codes', async () => {
    const tauon = await start(kind);
    const ack = await tauon.emit('carts', { type: 'Added', key: 'cart-1' });
    const none = await tauon.projection('cart-items', 'nobody', { atLeast: ack.seq });
    expect(none).toEqual({ name: 'cart-items', key: 'nobody', found: false, checkpoint: none.checkpoint });
    expect((await failureOf(tauon.projection('no-such-projection'))).code).toBe('not-found');
    const late = await failureOf(tauon.projection('cart-items', 'cart-1', { atLeast: ack.seq + 1000, timeoutMs: 50 }));
    expect(late.code).toBe('timeout');
    expect(late.details).toEqual({ checkpoint: ack.seq });
    expect((await failureOf(tauon.projection('$bad'))).code).toBe('bad-frame');
  });

  it('pages the entries in key order, next naming the last key while more follow', async () => {
    const tauon = await start(kind);
    const ack = await tauon.emit('carts', ['c', 'a', 'b', 'a'].map((key) => ({ type: 'Added', key })));
    await tauon.projection('cart-items', 'a', { atLeast: ack.seqs.at(-1)! });
    const first = await tauon.projectionEntries('cart-items', { limit: 2 });
    expect(first.entries).toEqual([
      { key: 'a', value: 2 },
      { key: 'b', value: 1 },
    ]);
    expect(first.next).toBe('b');
    const second = await tauon.projectionEntries('cart-items', { after: first.next!, limit: 2 });
    expect(second).toMatchObject({ entries: [{ key: 'c', value: 1 }], next: null });
  });

  it('watches one key: the changes after the watch started, a removal without value', async () => {
    const tauon = await start(kind);
    const changes = firstValueFrom(tauon.watchProjection('cart-items', 'cart-9').pipe(take(3), toArray()));
    // The watch is on the server once a read after it is answered (answers come in order).
    await waitWatching(tauon, 'cart-items');
    await tauon.emit('carts', { type: 'Added', key: 'cart-9' });
    await tauon.emit('carts', { type: 'Added', key: 'cart-8' });
    await tauon.emit('carts', { type: 'Added', key: 'cart-9' });
    await tauon.emit('carts', { type: 'Cleared', key: 'cart-9' });
    const seen = await changes;
    expect(seen.map((change) => [change.key, change.found, change.value])).toEqual([
      ['cart-9', true, 1],
      ['cart-9', true, 2],
      ['cart-9', false, undefined],
    ]);
    expect(seen[2]).not.toHaveProperty('value');
    expect(seen.map((change) => change.checkpoint)).toEqual([...seen.map((change) => change.checkpoint)].sort((a, b) => a - b));
  });

  it('goes on watching after a reconnect, and a key watch ends with the value committed while it was away', async () => {
    const tauon = await start(kind);
    const seen: ProjectionChange[] = [];
    const watching = tauon.watchProjection('cart-items', 'cart-1').subscribe((change) => seen.push(change));
    await waitWatching(tauon, 'cart-items');
    await tauon.emit('carts', { type: 'Added', key: 'cart-1' });
    await until(() => seen.some((change) => change.value === 1), 'the first change');
    running!.server.disconnectAll();
    // Written while the client is away (in-process, not through it).
    const away = await running!.server.request({ type: 'append', id: 0, stream: 'carts', events: [{ type: 'Added', key: 'cart-1' }] });
    expect(away.type).toBe('appended');
    await until(() => seen.some((change) => change.value === 2), 'the value written while away, re-read after the reconnect');
    await tauon.emit('carts', { type: 'Added', key: 'cart-1' });
    await until(() => seen.some((change) => change.value === 3), 'a change after the reconnect');
    watching.unsubscribe();
    expect(seen.map((change) => change.value)).toEqual([1, 2, 3]);
  });

  it('reads and watches over the JSON codec as over msgpack', async () => {
    running = await startServer(kind, { projections: [TOTALS, CART_ITEMS] });
    client = await connect(running.transport, { codec: 'json' });
    const changes = firstValueFrom(client.watchProjection('order-totals').pipe(take(1)));
    await waitWatching(client, 'order-totals');
    const ack = await client.emit('orders.7', { type: 'Placed', data: { amount: 2.5 } });
    expect(await changes).toMatchObject({ key: '', found: true, value: { orders: 1, total: 2.5 } });
    expect(await client.projection('order-totals', '', { atLeast: ack.pos })).toMatchObject({ value: { orders: 1, total: 2.5 } });
  });

  it('rebuilds a projection: the state is made again from the same events', async () => {
    const tauon = await start(kind);
    const ack = await tauon.emit('orders.1', [
      { type: 'Placed', data: { amount: 1 } },
      { type: 'Placed', data: { amount: 2 } },
    ]);
    await tauon.projection('order-totals', undefined, { atLeast: ack.positions.at(-1)! });
    await tauon.rebuildProjection('order-totals');
    const again = await tauon.projection('order-totals', undefined, { atLeast: ack.positions.at(-1)!, timeoutMs: 10_000 });
    expect(again.value).toEqual({ orders: 2, total: 3 });
  });

  it('keeps a projection of what a token may not read from it: forbidden, and left out of the list', async () => {
    const authenticate = await createAuthenticator({ tokens: [{ name: 'carts', token: 'carts-reader-token-0123456789', read: ['carts'] }] });
    running = await startServer(kind, { projections: [TOTALS, CART_ITEMS], authenticate });
    client = await connect(running.transport, { token: 'carts-reader-token-0123456789' });
    expect((await client.projections()).map((one) => one.name)).toEqual(['cart-items']);
    const refused = await failureOf(client.projection('order-totals'));
    expect([refused.code, refused.details]).toEqual(['forbidden', { permission: 'read', selector: 'orders.*' }]);
    const watchRefused = await firstValueFrom(client.watchProjection('order-totals')).then(
      () => undefined,
      (error: unknown) => error as TauonError,
    );
    expect(watchRefused?.code).toBe('forbidden');
    expect((await failureOf(client.rebuildProjection('cart-items'))).code).toBe('forbidden');
  });

  it('fails at once with unsupported against a server that runs no projections', async () => {
    const memory = new MemoryStore();
    // The same store without its `projections`: as a store written before them.
    const bare = new Proxy(memory, {
      get: (target, property) => (property === 'projections' ? undefined : (Reflect.get(target, property, target) as unknown)),
    }) as EventStore;
    running = await startServer(kind, { store: bare, onClose: () => memory.close() });
    client = await connect(running.transport);
    expect((await client.info()).features ?? []).not.toContain('projections');
    expect((await failureOf(client.projections())).code).toBe('unsupported');
    expect((await failureOf(client.projection('x'))).code).toBe('unsupported');
    const watched = await firstValueFrom(client.watchProjection('x')).then(
      () => undefined,
      (error: unknown) => error as TauonError,
    );
    expect(watched?.code).toBe('unsupported');
  });
});

/**
 * Returns once the server listens for the watch the client just sent: the session takes frames
 * in order, and starts a watch with one look-up of the projection before it listens, while a
 * `projection-entries` sent after it makes the same look-up and then reads: its answer comes after.
 */
async function waitWatching(tauon: Client, name: string): Promise<void> {
  await tauon.projectionEntries(name, { limit: 1 });
}

/** The shared wait, with this file's time limit. */
const until = (done: () => boolean, what: string, timeoutMs = 5_000): Promise<void> => waitUntil(done, what, timeoutMs);
