import { tap } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connect, defineEvents, project, typed } from '../../client/index.js';
import type { Client, EventOf, KeyedProjection } from '../../client/index.js';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { listenWs, wsTransport } from '../../transports/ws/index.js';
import { startServer } from '../support/harness.js';
import { orderEvents, until } from './schemas.js';

interface Order {
  total: number;
  shipped: boolean;
  cancelled: boolean;
  /** How many events were folded into it: a duplicate or a gap would show here. */
  events: number;
}

const fresh = (): Order => ({ total: 0, shipped: false, cancelled: false, events: 0 });

function evolve(order: Order, event: EventOf<typeof orderEvents>): Order {
  switch (event.type) {
    case 'OrderPlaced':
      return { ...order, total: event.data.total, events: order.events + 1 };
    case 'OrderShipped':
      return { ...order, shipped: true, events: order.events + 1 };
    case 'OrderCancelled':
      return { ...order, cancelled: true, events: order.events + 1 };
  }
}

/** A reference server on `store` over ws on `port` (0: a free one), stopped and started again on the same port. */
async function serve(store: EventStore, port = 0): Promise<{ url: string; port: number; stop: () => Promise<void> }> {
  const server = new TauonServer({ store });
  const ws = await listenWs({ host: '127.0.0.1', port });
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

describe('the projection operator over a typed hot-cold feed', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('emits the state at caught-up, then per change, and stays right across a server restart', async () => {
    const store = new MemoryStore();
    cleanup.push(() => store.close());
    let running = await serve(store);
    cleanup.push(() => running.stop());
    const reconnect = { initialDelayMs: 5, maxDelayMs: 50 };
    const producerClient = await connect(wsTransport(running.url), { reconnect });
    const consumerClient = await connect(wsTransport(running.url), { reconnect });
    cleanup.push(() => producerClient.close(), () => consumerClient.close());
    const producer = typed(producerClient, orderEvents);
    const consumer = typed(consumerClient, orderEvents);

    await producer.emit('orders.1', { type: 'OrderPlaced', key: 'o-1', data: { orderId: 'o-1', total: 10 } });
    await producer.emit('orders.2', { type: 'OrderPlaced', key: 'o-2', data: { orderId: 'o-2', total: 20 } });
    await producer.emit('orders.1', { type: 'OrderShipped', key: 'o-1', data: { orderId: 'o-1' } });

    const emitted: KeyedProjection<Order>[] = [];
    let failure: unknown;
    const subscription = consumer
      .feed('orders.*')
      .pipe(project({ key: (event) => event.key, initial: fresh, evolve }))
      .subscribe({ next: (state) => emitted.push(state), error: (error: unknown) => (failure = error) });
    cleanup.push(() => Promise.resolve(subscription.unsubscribe()));

    await until(() => emitted.length === 1, 'the state at caught-up');
    expect(Object.fromEntries(emitted[0]!.states)).toEqual({
      'o-1': { total: 10, shipped: true, cancelled: false, events: 2 },
      'o-2': { total: 20, shipped: false, cancelled: false, events: 1 },
    });
    expect(emitted[0]!.changed).toEqual(['o-1', 'o-2']);

    await producer.emit('orders.3', { type: 'OrderPlaced', key: 'o-3', data: { orderId: 'o-3', total: 5 } });
    await until(() => emitted.length === 2, 'the live change');
    expect(emitted[1]!.changed).toEqual(['o-3']);

    // The server stops and starts again on the same store and port: both clients reconnect, and
    // the subscription resumes after what it delivered, so nothing is folded twice or missed.
    await running.stop();
    running = await serve(store, running.port);
    await producer.emit('orders.2', { type: 'OrderShipped', key: 'o-2', data: { orderId: 'o-2' } });
    await producer.emit('orders.1', { type: 'OrderCancelled', key: 'o-1', data: { orderId: 'o-1' } });
    await until(() => emitted.length >= 4 && Object.fromEntries(emitted.at(-1)!.states)['o-1']?.cancelled === true, 'the changes after the restart');
    expect(failure).toBeUndefined();
    const last = Object.fromEntries(emitted.at(-1)!.states);
    expect(last).toEqual({
      'o-1': { total: 10, shipped: true, cancelled: true, events: 3 },
      'o-2': { total: 20, shipped: true, cancelled: false, events: 2 },
      'o-3': { total: 5, shipped: false, cancelled: false, events: 1 },
    });
    // One emission per change after the first: never an older state after a newer one.
    expect(emitted.map((state) => [...state.states.values()].reduce((sum, order) => sum + order.events, 0))).toEqual([3, 4, 5, 6]);
  });

  it('folds quietly after fell-behind and emits once at the next caught-up; a dropped connection loses and doubles nothing', async () => {
    const running = await startServer('memory', { behindThreshold: 5 });
    cleanup.push(() => running.close());
    const reconnect = { initialDelayMs: 5, maxDelayMs: 50 };
    const producer = await connect(running.transport, { reconnect });
    const consumer = await connect(running.transport, { reconnect });
    cleanup.push(() => producer.close(), () => consumer.close());
    const counter = typed(consumer, defineEvents({ Added: z.object({ n: z.number().int() }) }));

    const log: string[] = [];
    const sums: number[] = [];
    const subscription = counter
      .feed('counted', { prefetch: 2 })
      .pipe(
        tap((item) => log.push(item.kind)),
        project({ initial: () => ({ sum: 0, events: 0 }), evolve: (state, event) => ({ sum: state.sum + event.data.n, events: state.events + 1 }) }),
      )
      .subscribe((state) => {
        log.push(`state ${state.events}`);
        sums.push(state.sum);
      });
    cleanup.push(() => Promise.resolve(subscription.unsubscribe()));
    await until(() => sums.length === 1, 'the initial state');

    // One commit far beyond the threshold, with a credit window of 2: the server says fell-behind.
    await emitAdded(producer, 1, 30);
    await until(() => sums.at(-1) === total(30), 'the backlog folded');
    const behind = log.indexOf('fell-behind');
    expect(behind, log.join(', ')).toBeGreaterThan(0);
    const backAt = log.indexOf('caught-up', behind);
    expect(log.slice(behind, backAt).filter((entry) => entry.startsWith('state'))).toEqual([]);
    expect(log[backAt + 1]).toBe('state 30');

    running.server.disconnectAll();
    await emitAdded(producer, 31, 40);
    await until(() => sums.at(-1) === total(40), 'the events after the dropped connection');
    expect(log.filter((entry) => entry.startsWith('state')).at(-1)).toBe('state 40');
  });
});

async function emitAdded(client: Client, from: number, to: number): Promise<void> {
  const events = Array.from({ length: to - from + 1 }, (_, i) => ({ type: 'Added', data: { n: from + i } }));
  await client.emit('counted', events);
}

/** 1 + 2 + ... + n. */
function total(n: number): number {
  return (n * (n + 1)) / 2;
}
