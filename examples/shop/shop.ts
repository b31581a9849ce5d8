// The shop, end to end: places and pays orders through the order decider, lets the shipper (a
// consumer group member) ship the paid ones, and reads the day's revenue, which the server
// projects, over HTTP. It starts no server: run one with the projection (README.md says how), then
//   npx tsx examples/shop/shop.ts [ws://127.0.0.1:7600]
import { filter, firstValueFrom, take, timeout, toArray } from 'rxjs';
import { commandHandler, connect, typed } from 'tauon/client';
import { wsTransport } from 'tauon/transports/ws';
import { orderStream, shopEvents } from './events.js';
import { order, OrderNotPaidError } from './order.js';
import type { DayRevenue } from './revenue-projection.js';
import { startShipping } from './shipping.js';

/** `now`: when the customers pay (the tests fix it, so that the day is known). */
export async function shop(url: string, log: (line: string) => void = console.log, now = Date.now()): Promise<void> {
  const client = await connect(wsTransport(url));
  const orders = commandHandler(client, order);
  // In a real shop the shipper is a process of its own; here it runs beside the orders.
  const shipper = startShipping(client);

  // Order ids unique to this run, so that the program can run again against the same server.
  const run = Date.now().toString(36);
  const totals = [30, 12.5, 8];
  const ids = totals.map((_, index) => `${run}-${index + 1}`);
  let placedAt = 0;
  for (const [index, orderId] of ids.entries()) {
    const { ack } = await orders.handle(orderStream(orderId), { type: 'Place', orderId, total: totals[index]! });
    placedAt = ack?.pos ?? placedAt;
  }
  log(`placed ${totals.length} orders: ${totals.map((total) => total.toFixed(2)).join(', ')}`);

  // Follow the shipments from here on (typed: data checked by its schema). Starting after the
  // placements, no shipment can be missed, however fast the shipper is.
  const paidIds = ids.slice(0, 2);
  const shipped = firstValueFrom(
    typed(client, shopEvents)
      .subscribe('order.*', { from: { after: placedAt }, filter: { types: ['OrderShipped'] } })
      .pipe(
        filter((event) => paidIds.includes(event.key ?? '')),
        take(paidIds.length),
        toArray(),
        timeout(10_000),
      ),
  );

  let paidAt = 0;
  for (const orderId of paidIds) {
    const { ack } = await orders.handle(orderStream(orderId), { type: 'Pay', at: now });
    paidAt = ack?.pos ?? paidAt;
  }
  log('paid orders 1 and 2');

  // The decider refuses to ship an unpaid order: nothing is written.
  try {
    await orders.handle(orderStream(ids[2]!), { type: 'Ship', carrier: 'post', requestId: `manual-${run}` });
  } catch (error) {
    if (!(error instanceof OrderNotPaidError)) throw error;
    log('order 3 is not shipped: it is not paid');
  }

  // Orders in different partitions ship in any order: print them in order-number order.
  const shipments = (await shipped).map((event) => ({ number: paidIds.indexOf(event.key ?? '') + 1, event }));
  for (const { number, event } of shipments.sort((a, b) => a.number - b.number)) {
    if (event.type === 'OrderShipped') log(`shipped order ${number} by ${event.data.carrier}`);
  }

  // Revenue over HTTP (the same port as the WebSocket), read at least as far as the last payment:
  // the server answers once its projection includes it. (`client.projection(name, key, { atLeast })`
  // reads the same over the connection.)
  const day = new Date(now).toISOString().slice(0, 10);
  const address = new URL(`/projections/revenue-per-day/${day}?atLeast=${paidAt}`, url.replace(/^ws/, 'http'));
  const response = await fetch(address);
  if (!response.ok) throw new Error(`GET ${address.pathname} answered ${response.status}: ${await response.text()}`);
  const { value } = (await response.json()) as { value: DayRevenue };
  log(`revenue on ${day}: ${value.revenue.toFixed(2)} from ${value.payments} payments`);

  // Leaving the group lets a running handler finish and be acknowledged first.
  shipper.unsubscribe();
  await client.close();
}

if (process.argv[1]?.endsWith('shop.ts') === true) {
  await shop(process.argv[2] ?? 'ws://127.0.0.1:7600');
}
