// The shipper: a member of the consumer group `shipping`, which ships each paid order through
// the order's command handler. Run it in as many processes as you like: the group spreads the
// orders over its members, and the server keeps the group's checkpoints.
import type { Subscription } from 'rxjs';
import { commandHandler, type Client } from 'tauon/client';
import { order } from './order.js';

export function startShipping(client: Client, member?: string): Subscription {
  const orders = commandHandler(client, order);
  return client
    .process(
      'shipping',
      'order.*',
      async (paid) => {
        // A redelivered OrderPaid (the member crashed before its ack) ships once: the order is
        // shipped already, so the decider decides nothing. And the OrderShipped event's id, made
        // from the OrderPaid's, is stored once however many times the request is made.
        await orders.handle(paid.stream, { type: 'Ship', carrier: 'post', requestId: paid.id });
      },
      { filter: { types: ['OrderPaid'] }, member },
    )
    .subscribe({ error: (error: unknown) => console.error('the shipper stopped:', error) });
}
