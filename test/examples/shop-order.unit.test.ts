import { describe, it } from 'vitest';
import { deciderSpec } from 'tauon/testing';
import { order, OrderNotPaidError, OrderNotPlacedError } from '../../examples/shop/order.js';
import type { OrderEvent } from '../../examples/shop/events.js';

const given = deciderSpec(order);
const placed: OrderEvent = { type: 'OrderPlaced', key: 'o-1', data: { orderId: 'o-1', total: 30 } };
const paid: OrderEvent = { type: 'OrderPaid', key: 'o-1', time: 1_000, data: { orderId: 'o-1', amount: 30 } };
const shipped: OrderEvent = { id: 'shipped-e-1', type: 'OrderShipped', key: 'o-1', data: { orderId: 'o-1', carrier: 'post' } };

describe('examples/shop/order.ts (the order decider)', () => {
  it('places a new order, once', async () => {
    await given([]).when({ type: 'Place', orderId: 'o-1', total: 30 }).then(placed);
    await given(placed).when({ type: 'Place', orderId: 'o-1', total: 30 }).then([]);
  });

  it('pays the total at the time given, which the revenue is counted by', () =>
    given(placed).when({ type: 'Pay', at: 1_000 }).then(paid));

  it('refuses to pay an order that was never placed', () => given([]).when({ type: 'Pay', at: 1_000 }).thenThrows(OrderNotPlacedError));

  it('refuses to ship an unpaid order', () =>
    given(placed).when({ type: 'Ship', carrier: 'post', requestId: 'e-1' }).thenThrows(OrderNotPaidError));

  it('ships a paid order with an id made from the request, and ships it once', async () => {
    await given([placed, paid]).when({ type: 'Ship', carrier: 'post', requestId: 'e-1' }).then(shipped);
    await given([placed, paid, shipped]).when({ type: 'Ship', carrier: 'post', requestId: 'e-1' }).then([]);
  });

  it('ends shipped', () =>
    given([placed, paid])
      .when({ type: 'Ship', carrier: 'post', requestId: 'e-1' })
      .thenState({ orderId: 'o-1', status: 'shipped', total: 30 }));
});
