// The shop's events, declared once with a zod schema for each one's data: the decider, the
// shipper and the projection all take their types from here.
import * as z from 'zod';
import { defineEvents, type EmitEventOf, type EventDataOf } from 'tauon/client';

export const shopEvents = defineEvents({
  OrderPlaced: z.object({ orderId: z.string(), total: z.number().positive() }),
  OrderPaid: z.object({ orderId: z.string(), amount: z.number().positive() }),
  OrderShipped: z.object({ orderId: z.string(), carrier: z.string() }),
});

/** An order event as the decider returns it (and folds it). */
export type OrderEvent = EmitEventOf<typeof shopEvents>;
export type OrderPaidData = EventDataOf<typeof shopEvents, 'OrderPaid'>;

/** Each order is an aggregate with a stream of its own. */
export const orderStream = (orderId: string): string => `order.${orderId}`;
