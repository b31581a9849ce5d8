import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connect, defineEvents, project, typed } from '../../client/index.js';
import type { Client, EventOf, InvalidEvent, KeyedProjection, SchemaIssue, StoredEvent } from '../../client/index.js';
import { startServer } from '../support/harness.js';
import type { RunningServer } from '../support/harness.js';
import { until } from './schemas.js';

// The examples of docs/typed-events.md, as written there (with a memory server instead of ws):
// the guide is a contract, so its code must compile and do what the guide says.

const orderEvents = defineEvents(
  {
    OrderPlaced: z.object({ orderId: z.string(), total: z.number().nonnegative() }),
    OrderShipped: z.object({ orderId: z.string(), carrier: z.string().default('post') }),
    OrderCancelled: z.object({ orderId: z.string(), reason: z.string().optional() }),
  },
  {
    schemaBase: 'https://example.com/schemas/orders/',
    schemaUris: { OrderCancelled: 'https://example.com/schemas/orders/OrderCancelled/v2' },
  },
);

describe('the examples of docs/typed-events.md', () => {
  let running: RunningServer;
  let client: Client;
  beforeEach(async () => {
    running = await startServer('memory');
    client = await connect(running.transport);
  });
  afterEach(async () => {
    await client.close();
    await running.close();
  });

  it('emit, receive, the items of the options, and both projections', async () => {
    const orders = typed(client, orderEvents);
    await orders.emit('orders.42', { type: 'OrderPlaced', key: 'order-42', data: { orderId: '42', total: 30 } });
    await orders.emit('orders.42', [
      { type: 'OrderShipped', key: 'order-42', data: { orderId: '42' } },
      { type: 'OrderCancelled', key: 'order-42', data: { orderId: '42', reason: 'returned' } },
    ]);
    const stored = (await client.read('orders.42')).events;
    expect(stored.map((event) => event.schema)).toEqual([
      'https://example.com/schemas/orders/OrderPlaced',
      'https://example.com/schemas/orders/OrderShipped',
      'https://example.com/schemas/orders/OrderCancelled/v2',
    ]);
    expect(stored[1]!.data).toEqual({ orderId: '42' });

    const logged: string[] = [];
    const subscription = orders.subscribe('orders.*').subscribe({
      next: (event) => {
        switch (event.type) {
          case 'OrderPlaced':
            logged.push(event.data.total.toFixed(2));
            break;
          case 'OrderShipped':
            logged.push(event.data.carrier);
            break;
        }
      },
      error: (error: unknown) => logged.push(`ended: ${String(error)}`),
    });
    await until(() => logged.length === 2, 'the two events');
    subscription.unsubscribe();
    expect(logged).toEqual(['30.00', 'post']);

    const page = await orders.read('orders.42', { limit: 50 });
    expect(page.events).toHaveLength(3);
    const pulled: string[] = [];
    for await (const event of orders.iterate('orders.42', { mode: 'cold' })) pulled.push(event.type);
    expect(pulled).toEqual(['OrderPlaced', 'OrderShipped', 'OrderCancelled']);

    await client.emit('orders.43', { type: 'OrderPlaced', data: { orderId: '43', total: -1 } });
    await client.emit('orders.43', { type: 'Audited' });
    const handled: EventOf<typeof orderEvents>[] = [];
    const quarantined: [StoredEvent, readonly SchemaIssue[]][] = [];
    const notOurs: string[] = [];
    const handle = (event: EventOf<typeof orderEvents>): void => void handled.push(event);
    const quarantine = (event: StoredEvent, issues: readonly SchemaIssue[]): void => void quarantined.push([event, issues]);
    const all = orders.subscribe('orders.*', { onInvalid: 'deliver', unknown: 'pass' }).subscribe((item) => {
      if (!('kind' in item)) return handle(item); // EventOf<typeof orderEvents>, narrowed by type
      if (item.kind === 'invalid') quarantine(item.event, item.issues);
      else notOurs.push(item.event.type);
    });
    await until(() => handled.length + quarantined.length + notOurs.length === 5, 'every event');
    all.unsubscribe();
    expect(handled.map((event) => event.type)).toEqual(['OrderPlaced', 'OrderShipped', 'OrderCancelled']);
    expect(quarantined.map(([event]) => event.seq)).toEqual([1]);
    expect(notOurs).toEqual(['Audited']);
    const invalid: InvalidEvent = { kind: 'invalid', event: quarantined[0]![0], issues: quarantined[0]![1] };
    expect(invalid.issues[0]!.path).toEqual(['total']);

    const totals: { placed: number; revenue: number }[] = [];
    const render = (value: { placed: number; revenue: number }): void => void totals.push(value);
    const single = orders
      .feed('orders.*', { onInvalid: 'deliver' })
      .pipe(
        project({
          initial: () => ({ placed: 0, revenue: 0 }),
          evolve: (state, event) =>
            event.type === 'OrderPlaced' ? { placed: state.placed + 1, revenue: state.revenue + event.data.total } : state,
        }),
      )
      .subscribe((state) => render(state));

    const rows = new Map<string, unknown>();
    const emissions: KeyedProjection<{ orderId: string; status: string }>[] = [];
    const renderRow = (key: string, row: unknown): void => void rows.set(key, row);
    const keyed = orders
      .feed('orders.*', { onInvalid: 'deliver' })
      .pipe(
        project({
          key: (event) => event.key,
          initial: (key) => ({ orderId: key, status: 'new' }),
          evolve: (order, event) => {
            switch (event.type) {
              case 'OrderPlaced': return { ...order, status: 'placed' };
              case 'OrderShipped': return { ...order, status: 'shipped' };
              case 'OrderCancelled': return { ...order, status: 'cancelled' };
            }
          },
        }),
      )
      .subscribe((projection) => {
        emissions.push(projection);
        for (const key of projection.changed) renderRow(key, projection.states.get(key));
      });
    await until(() => totals.length === 1 && emissions.length === 1, 'the states at caught-up');
    expect(totals).toEqual([{ placed: 1, revenue: 30 }]);
    expect(Object.fromEntries(rows)).toEqual({ 'order-42': { orderId: 'order-42', status: 'cancelled' } });
    await orders.emit('orders.44', { type: 'OrderPlaced', key: 'order-44', data: { orderId: '44', total: 12 } });
    await orders.emit('orders.44', { type: 'OrderShipped', key: 'order-44', data: { orderId: '44' } });
    await until(() => emissions.length === 3, 'the keyed live changes');
    expect(totals).toEqual([
      { placed: 1, revenue: 30 },
      { placed: 2, revenue: 42 },
    ]); // the OrderShipped changed nothing: no emission
    expect(emissions.map((projection) => projection.changed)).toEqual([['order-42'], ['order-44'], ['order-44']]);
    expect(rows.get('order-44')).toEqual({ orderId: 'order-44', status: 'shipped' });
    single.unsubscribe();
    keyed.unsubscribe();
  });
});
