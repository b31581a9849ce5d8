import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, StoreChangedError, type Client } from '../../client/index.js';
import type { StoredEvent } from '../../protocol/frames.js';
import { TauonServer } from '../../server-reference/server.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { listenWs, wsTransport, type WsListener } from '../../transports/ws/index.js';
import { tempDir } from '../support/temp-dir.js';
import { until } from '../support/until.js';

// SPEC 12: a client that reconnects to a server of another store fails what it would have
// resumed (store-changed) instead of skipping the new store's first events or writing its
// pending appends there; on the same store it resumes with no gap. A reference server over ws,
// on an lmdb directory, stopped and started again on the same port.

/** The store, with appends that can be held unanswered (to have an emit in flight when the server stops). */
function holdable(store: EventStore): { store: EventStore; hold: () => Promise<void> } {
  let held = false;
  let reached: (() => void) | undefined;
  const wrapped = new Proxy(store, {
    get(target, property) {
      if (property === 'append' && held) {
        return () => {
          reached?.();
          return new Promise(() => undefined); // never answered: the server stops first
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    store: wrapped,
    hold: () =>
      new Promise((resolve) => {
        held = true;
        reached = resolve;
      }),
  };
}

/** A reference server on `store`, over ws on `port` (0: a free one). */
async function serve(store: EventStore, port = 0): Promise<{ url: string; port: number; stop: () => Promise<void> }> {
  const server = new TauonServer({ store });
  const ws: WsListener = await listenWs({ host: '127.0.0.1', port });
  await server.listen(ws.transport);
  return {
    url: ws.url,
    port: Number(new URL(ws.url).port),
    stop: async () => {
      await server.close();
      await ws.close();
    },
  };
}

/** What one subscription delivered, and how it ended. */
function follow(client: Client, stream: string): { events: StoredEvent[]; ended: Promise<unknown>; stop: () => void } {
  const events: StoredEvent[] = [];
  let stop = (): void => undefined;
  const ended = new Promise<unknown>((resolve) => {
    const subscription = client.subscribe(stream).subscribe({
      next: (event) => events.push(event),
      error: (error: unknown) => resolve(error),
      complete: () => resolve('completed'),
    });
    stop = () => subscription.unsubscribe();
  });
  return { events, ended, stop };
}

/** `promise`, or a failure naming `what` after `ms`: a client that resumed silently must fail the test, not hang it. */
function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const FAST_RECONNECT = { reconnect: { initialDelayMs: 20, maxDelayMs: 100, jitter: 0 } };

describe('a client reconnecting to a server restarted on another store, or the same (ws, lmdb)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const cleanup: (() => Promise<unknown>)[] = [];
  beforeEach(async () => {
    dir = await tempDir('store-identity');
  });
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
    await dir.remove();
  });

  it('on a fresh store: the subscription fails store-changed, pending emits fail and are not written there, new work goes to the new store', async () => {
    const first = await LmdbStore.open(`${dir.path}/first`);
    const { store, hold } = holdable(first);
    const running = await serve(store);
    const client = await connect(wsTransport(running.url), FAST_RECONNECT);
    cleanup.push(() => client.close());
    expect(client.status.store, 'the client sees the store of welcome').toBe(first.id);

    for (let i = 1; i <= 3; i++) await client.emit('orders', { id: `old-${i}`, type: 'Placed' });
    const followed = follow(client, 'orders');
    await until(() => followed.events.length === 3, 'the three events of the first store');

    const held = hold();
    const inFlight = client.emit('orders', { id: 'old-in-flight', type: 'Placed' }).then(
      () => 'acknowledged',
      (error: unknown) => error,
    );
    await held; // the append reached the store and will never be answered
    await running.stop();
    await first.close();
    const queued = client.emit('orders', { id: 'old-queued', type: 'Placed' }).then(
      () => 'acknowledged',
      (error: unknown) => error,
    );

    const second = await LmdbStore.open(`${dir.path}/second`);
    cleanup.push(() => second.close());
    expect(second.id, 'a fresh directory is another store').not.toBe(first.id);
    const restarted = await serve(second, running.port);
    cleanup.push(() => restarted.stop());

    const ended = await within(followed.ended, 'the subscription of the first store to end');
    expect(ended, 'the subscription ends with StoreChangedError').toBeInstanceOf(StoreChangedError);
    expect((ended as StoreChangedError).code).toBe('store-changed');
    expect((ended as StoreChangedError).details, 'naming both stores').toEqual({ previous: first.id, current: second.id });
    expect(followed.events.map((e) => e.id), 'it delivered the first store events only, none of the second').toEqual(['old-1', 'old-2', 'old-3']);
    for (const [name, outcome] of [
      ['in flight', await within(inFlight, 'the emit in flight to settle')],
      ['queued while disconnected', await within(queued, 'the queued emit to settle')],
    ] as const) {
      expect(outcome, `the emit ${name} fails with StoreChangedError`).toBeInstanceOf(StoreChangedError);
    }
    expect(await second.readAll(1, 'forward', 100), 'nothing of the first store was written into the second').toEqual([]);

    // The client goes on, on the new store.
    expect(client.status.store, 'the status names the new store').toBe(second.id);
    expect((await client.info()).store, 'server-info names it too').toBe(second.id);
    const again = follow(client, 'orders');
    cleanup.push(() => Promise.resolve(again.stop()));
    const ack = await client.emit('orders', { id: 'new-1', type: 'Placed' });
    expect(ack.seq, 'the new store numbers from 1').toBe(1);
    await until(() => again.events.length === 1, 'the new event on a new subscription');
    expect(again.events[0]?.id).toBe('new-1');
  }, 60_000);

  it('on the same store: the subscription resumes with no gap and the pending emits are written once', async () => {
    const path = `${dir.path}/kept`;
    const first = await LmdbStore.open(path);
    const { store, hold } = holdable(first);
    const running = await serve(store);
    const client = await connect(wsTransport(running.url), FAST_RECONNECT);
    cleanup.push(() => client.close());

    for (let i = 1; i <= 3; i++) await client.emit('orders', { id: `e-${i}`, type: 'Placed' });
    const followed = follow(client, 'orders');
    cleanup.push(() => Promise.resolve(followed.stop()));
    await until(() => followed.events.length === 3, 'the first three events');
    const held = hold();
    const inFlight = client.emit('orders', { id: 'e-4', type: 'Placed' });
    await held;
    await running.stop();
    await first.close();
    const queued = client.emit('orders', { id: 'e-5', type: 'Placed' });

    const reopened = await LmdbStore.open(path);
    cleanup.push(() => reopened.close());
    expect(reopened.id, 'the same directory keeps its identity').toBe(first.id);
    const restarted = await serve(reopened, running.port);
    cleanup.push(() => restarted.stop());

    expect((await within(inFlight, 'the emit in flight to be acknowledged')).seq, 'the emit in flight is resent and written').toBe(4);
    expect((await within(queued, 'the queued emit to be acknowledged')).seq, 'the queued emit is written after it').toBe(5);
    await client.emit('orders', { id: 'e-6', type: 'Placed' });
    await until(() => followed.events.length === 6, 'the resumed subscription to reach seq 6');
    expect(followed.events.map((e) => e.seq), 'no gap, no duplicate').toEqual([1, 2, 3, 4, 5, 6]);
    expect(client.status.store).toBe(first.id);
  }, 60_000);
});
