// The order aggregate as a decider: place, pay, ship. Pure: the command handler reads the
// order's stream, folds it with `evolve`, and appends what `decide` returns.
import type { Decider } from 'tauon/client';
import type { OrderEvent } from './events.js';

export type Order = { orderId: string; status: 'new' | 'placed' | 'paid' | 'shipped'; total: number };

export type OrderCommand =
  | { type: 'Place'; orderId: string; total: number }
  // `at`: when the customer paid, in ms. It becomes the event's time, which revenue is counted by.
  | { type: 'Pay'; at: number }
  // `requestId`: unique to the request (the shipper uses the OrderPaid event's id), so that a
  // request made twice stores its OrderShipped once.
  | { type: 'Ship'; carrier: string; requestId: string };

export class OrderNotPlacedError extends Error {
  constructor() {
    super('the order is not placed');
  }
}

export class OrderNotPaidError extends Error {
  constructor(orderId: string) {
    super(`order ${orderId} is not paid`);
  }
}

export const order: Decider<Order, OrderCommand, OrderEvent> = {
  initialState: () => ({ orderId: '', status: 'new', total: 0 }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'OrderPlaced':
        return { orderId: event.data.orderId, status: 'placed', total: event.data.total };
      case 'OrderPaid':
        return { ...state, status: 'paid' };
      case 'OrderShipped':
        return { ...state, status: 'shipped' };
    }
  },
  decide: (command, state) => {
    if (command.type === 'Place') {
      // Placing twice changes nothing: an empty decision writes nothing.
      if (state.status !== 'new') return [];
      return { type: 'OrderPlaced', key: command.orderId, data: { orderId: command.orderId, total: command.total } };
    }
    if (state.status === 'new') throw new OrderNotPlacedError();
    const key = state.orderId;
    if (command.type === 'Pay') {
      if (state.status !== 'placed') return []; // paid already
      return { type: 'OrderPaid', key, time: command.at, data: { orderId: key, amount: state.total } };
    }
    if (state.status === 'placed') throw new OrderNotPaidError(key);
    if (state.status === 'shipped') return []; // shipped already
    return { id: `shipped-${command.requestId}`, type: 'OrderShipped', key, data: { orderId: key, carrier: command.carrier } };
  },
};
