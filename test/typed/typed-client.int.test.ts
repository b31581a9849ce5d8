import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connect, defineEvents, EventValidationError, typed, UnknownEventTypeError } from '../../client/index.js';
import type { Client, EmitEventOf, EventOf, InvalidEvent, TypedClient, TypedFeedItem, UntypedEvent } from '../../client/index.js';
import { startServer } from '../support/harness.js';
import type { RunningServer } from '../support/harness.js';
import { heldSchema, isCounted, orderEvents, settle, until } from './schemas.js';

/** What the type checker must accept and refuse: `tsc --noEmit` over test/ fails when a narrowing breaks. */
function describeOrder(event: EventOf<typeof orderEvents>): string {
  switch (event.type) {
    case 'OrderPlaced':
      return `${event.data.orderId} placed for ${event.data.total.toFixed(2)}`;
    case 'OrderShipped':
      return `${event.data.orderId} shipped by ${event.data.carrier.toUpperCase()}`; // the default makes it a string
    case 'OrderCancelled':
      // @ts-expect-error an OrderCancelled has no total
      return `${event.data.orderId} cancelled ${String(event.data.total)}`;
    default: {
      const unreachable: never = event;
      return unreachable;
    }
  }
}

/** An emit as a decider would return it: the declaration's union. */
const placed: EmitEventOf<typeof orderEvents> = { type: 'OrderPlaced', key: 'o-1', data: { orderId: 'o-1', total: 12.5 } };
// @ts-expect-error the input of OrderShipped needs an orderId
const shippedWithoutId: EmitEventOf<typeof orderEvents> = { type: 'OrderShipped', data: { carrier: 'dhl' } };

describe.each(['memory', 'ws'] as const)('typed events against a reference server, over %s', (kind) => {
  let running: RunningServer;
  let client: Client;
  let orders: TypedClient<typeof orderEvents>;
  beforeEach(async () => {
    running = await startServer(kind);
    client = await connect(running.transport);
    orders = typed(client, orderEvents);
  });
  afterEach(async () => {
    await client.close();
    await running.close();
  });

  it('emits checked events with the schema field from the declaration, the data as given', async () => {
    const ack = await orders.emit('orders.1', [
      placed,
      { type: 'OrderShipped', key: 'o-1', data: { orderId: 'o-1' } },
      { type: 'OrderCancelled', data: { orderId: 'o-1' } },
    ]);
    expect(ack.seqs).toEqual([1, 2, 3]);
    const stored = (await client.read('orders.1')).events;
    expect(stored.map((event) => event.schema)).toEqual([
      'https://example.com/schemas/orders/OrderPlaced',
      'https://example.com/schemas/orders/OrderShipped',
      'urn:tauon-test:order-cancelled:v2',
    ]);
    expect(stored[1]!.data).toEqual({ orderId: 'o-1' }); // sent as given: the default is the reader's
    const page = await orders.read('orders.1');
    expect(page.events.map(describeOrder)).toEqual(['o-1 placed for 12.50', 'o-1 shipped by POST', 'o-1 cancelled undefined']);
    expect(page.next).toBeNull();
  });

  it('refuses data that does not match before sending, so nothing of the emit is stored', async () => {
    // @ts-expect-error total is a number
    const wrongType = orders.emit('orders.2', { type: 'OrderPlaced', data: { orderId: 'o-2', total: 'ten' } });
    await expect(wrongType).rejects.toThrow(EventValidationError);
    const batch = orders.emit('orders.2', [placed, { type: 'OrderPlaced', data: { orderId: 'o-2', total: -3 } }]);
    const error = await batch.then(
      () => {
        throw new Error('the emit was accepted');
      },
      (caught: unknown) => caught as EventValidationError,
    );
    expect(error).toBeInstanceOf(EventValidationError);
    expect(error.code).toBe('bad-frame');
    expect(error.message).toBe('the event to emit: its data does not match the schema of OrderPlaced: total: Too small: expected number to be >=0');
    expect(error.event).toMatchObject({ type: 'OrderPlaced', data: { total: -3 } });
    // @ts-expect-error OrderLost is not declared
    const undeclared = orders.emit('orders.2', { type: 'OrderLost', data: {} });
    await expect(undeclared).rejects.toThrow(UnknownEventTypeError);
    await expect(orders.emit('orders.2', shippedWithoutId)).rejects.toMatchObject({ code: 'bad-frame', name: 'EventValidationError' });
    expect((await client.streams({ prefix: 'orders.2' })).streams).toEqual([]);
    // The refusals broke nothing: the stream takes the next emit as its first event.
    expect((await orders.emit('orders.2', placed)).seq).toBe(1);
  });

  it('keeps the order of emits when an async check is overtaken by a synchronous one, and still coalesces synchronous emits', async () => {
    const slow = heldSchema(isCounted);
    const counted = typed(client, defineEvents({ Slow: slow.schema, Fast: z.object({ n: z.number() }) }));
    const first = counted.emit('ordered', { type: 'Slow', data: { n: 1 } });
    const second = counted.emit('ordered', { type: 'Fast', data: { n: 2 } });
    const third = counted.emit('ordered', { type: 'Slow', data: { n: 3 } });
    await settle();
    expect((await client.streams({ prefix: 'ordered' })).streams).toEqual([]); // the quick one waits
    await until(() => slow.held.length === 2, 'both slow checks');
    slow.releaseAll();
    expect([(await first).seq, (await second).seq, (await third).seq]).toEqual([1, 2, 3]);
    const data = (await client.read('ordered')).events.map((event) => event.data);
    expect(data).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const [a, b] = await Promise.all([counted.emit('ordered', { type: 'Fast', data: { n: 4 } }), counted.emit('ordered', { type: 'Fast', data: { n: 5 } })]);
    expect(a.tx).toBe(b.tx); // one tick, one append frame
  });

  it('delivers events checked by an async schema in their order, caught-up behind them', async () => {
    const slow = heldSchema(isCounted);
    const counted = typed(client, defineEvents({ Slow: slow.schema, Fast: z.object({ n: z.number() }) }));
    await client.emit('mixed', [
      { type: 'Slow', data: { n: 1 } },
      { type: 'Fast', data: { n: 2 } },
      { type: 'Slow', data: { n: 'three' } },
      { type: 'Fast', data: { n: 4 } },
    ]);
    const seen: string[] = [];
    const subscription = counted.feed('mixed', { onInvalid: 'deliver' }).subscribe((item) => {
      if (item.kind === 'event') seen.push(`${item.event.type} ${item.event.data.n}`);
      else seen.push(item.kind);
    });
    await until(() => slow.held.length === 1, 'the first slow check');
    expect(seen).toEqual([]); // the Fast event behind it waits
    slow.releaseAll();
    await until(() => slow.held.length === 1, 'the second slow check');
    expect(seen).toEqual(['Slow 1', 'Fast 2']);
    slow.releaseAll();
    await until(() => seen.length === 5, 'every item');
    subscription.unsubscribe();
    expect(seen).toEqual(['Slow 1', 'Fast 2', 'invalid', 'Fast 4', 'caught-up']);
  });

  describe('what it receives', () => {
    beforeEach(async () => {
      // Written untyped, as another producer would: an invalid OrderPlaced, an undeclared type, a system event.
      await client.emit('orders.9', { type: 'OrderPlaced', key: 'o-9', data: { orderId: 'o-9', total: 5 } });
      const bad = await client.emit('orders.9', { type: 'OrderPlaced', key: 'o-9', data: { orderId: 'o-9', total: 'lots' } });
      await client.invalidate('orders.9', bad.tx, 'wrong total');
      await client.emit('orders.9', { type: 'PriceChanged', data: { sku: 'x' } });
      await client.emit('orders.9', { type: 'OrderShipped', key: 'o-9', data: { orderId: 'o-9', carrier: 'ups' } });
    });

    it('errors the Observable by default at an invalid event, after the events before it', async () => {
      const seen: string[] = [];
      const failure = await new Promise<unknown>((resolve) => {
        orders.replay('orders.9').subscribe({ next: (event) => seen.push(describeOrder(event)), error: resolve, complete: () => resolve('completed') });
      });
      expect(seen).toEqual(['o-9 placed for 5.00']);
      expect(failure).toBeInstanceOf(EventValidationError);
      expect((failure as EventValidationError).details).toMatchObject({ stream: 'orders.9', seq: 2, type: 'OrderPlaced' });
    });

    it('delivers invalid and untyped events in order when asked, system events included', async () => {
      const items = await lastValueFrom(orders.replay('orders.9', { onInvalid: 'deliver', unknown: 'pass' }).pipe(toArray()));
      const described = items.map((item) => {
        if ('kind' in item) return item.kind === 'invalid' ? `invalid ${item.event.seq}: ${item.issues[0]!.message}` : `untyped ${item.event.type}`;
        return describeOrder(item);
      });
      expect(described).toEqual([
        'o-9 placed for 5.00',
        'invalid 2: Invalid input: expected number, received string',
        'untyped $invalidated',
        'untyped PriceChanged',
        'o-9 shipped by UPS',
      ]);
      const invalid: InvalidEvent | undefined = items.find((item): item is InvalidEvent => 'kind' in item && item.kind === 'invalid');
      expect(invalid?.event.data).toEqual({ orderId: 'o-9', total: 'lots' });
    });

    it('skips undeclared and system events by default; unknown: error fails at an undeclared type, never at a system event', async () => {
      const skipped = await lastValueFrom(orders.replay('orders.9', { onInvalid: 'deliver' }).pipe(toArray()));
      expect(skipped.map((item) => ('kind' in item ? item.kind : item.type))).toEqual(['OrderPlaced', 'invalid', 'OrderShipped']);
      const seen: string[] = [];
      const failure = await new Promise<unknown>((resolve) => {
        orders.replay('orders.9', { onInvalid: 'deliver', unknown: 'error' }).subscribe({
          next: (item) => seen.push('kind' in item ? item.kind : item.type),
          error: resolve,
        });
      });
      expect(seen).toEqual(['OrderPlaced', 'invalid']); // $invalidated passed without failing
      expect(failure).toBeInstanceOf(UnknownEventTypeError);
      expect((failure as UnknownEventTypeError).details).toMatchObject({ type: 'PriceChanged', seq: 4 });
    });

    it('narrows the item types by the options', async () => {
      const strict = await lastValueFrom(orders.replay('orders.9', { from: { after: 4 } }).pipe(toArray()));
      const only = strict[0]!;
      expect(strict).toHaveLength(1);
      // @ts-expect-error without onInvalid: 'deliver' or unknown: 'pass' every item is a declared event, with no kind
      expect(only.kind).toBeUndefined();
      expect(only.type).toBe('OrderShipped');
      const passing = await lastValueFrom(orders.replay('orders.9', { unknown: 'pass', from: { after: 2 } }).pipe(toArray()));
      const untyped: UntypedEvent[] = passing.filter((item): item is UntypedEvent => 'kind' in item);
      // @ts-expect-error unknown: 'pass' alone delivers no InvalidEvent
      const noInvalid: InvalidEvent[] = passing.filter((item) => 'kind' in item);
      expect(untyped.map((item) => item.event.type)).toEqual(['$invalidated', 'PriceChanged']);
      expect(noInvalid).toHaveLength(2);
    });

    it('reads, surfaces and iterates with the same checks', async () => {
      await expect(orders.read('orders.9')).rejects.toThrow(EventValidationError);
      const kinds = (items: ({ type: string } | { kind: string })[]): string[] => items.map((item) => ('kind' in item ? item.kind : item.type));
      // Skipping undeclared types, the view asks the server for the declared ones: a full page.
      const page = await orders.read('orders.9', { onInvalid: 'deliver', limit: 3 });
      expect(kinds(page.events)).toEqual(['OrderPlaced', 'invalid', 'OrderShipped']);
      const passing = await orders.read('orders.9', { onInvalid: 'deliver', unknown: 'pass', limit: 3 });
      expect(kinds(passing.events)).toEqual(['OrderPlaced', 'invalid', 'untyped']);
      expect(passing.next).toEqual({ after: 3 });
      // A filter of the caller's own is left as it is.
      const own = await orders.read('orders.9', { onInvalid: 'deliver', limit: 3, filter: { types: ['PriceChanged', 'OrderShipped'] } });
      expect(kinds(own.events)).toEqual(['OrderShipped']);
      // Positions still count the skipped events: a start at an undeclared event is found.
      const priceChanged = (await client.read('orders.9')).events[3]!;
      expect(priceChanged.type).toBe('PriceChanged');
      const after = await lastValueFrom(orders.replay('orders.9', { from: { event: priceChanged.id } }).pipe(toArray()));
      expect(after.map(describeOrder)).toEqual(['o-9 shipped by UPS']);
      const surface = await orders.surface('orders.9');
      expect(surface.map(describeOrder)).toEqual(['o-9 shipped by UPS']);
      const iterator = orders.iterate('orders.9', { onInvalid: 'deliver', mode: 'cold' });
      const pulled: string[] = [];
      for await (const item of iterator) pulled.push('kind' in item ? item.kind : item.type);
      expect(pulled).toEqual(['OrderPlaced', 'invalid', 'OrderShipped']);
      const failing = orders.iterate('orders.9', { mode: 'cold' });
      expect((await failing.next()).value).toMatchObject({ type: 'OrderPlaced' });
      await expect(failing.next()).rejects.toThrow(EventValidationError);
      expect(await failing.next()).toEqual({ done: true, value: undefined });
    });

    it('feeds caught-up between history and live events, each live event checked', async () => {
      const seen: TypedFeedItem<typeof orderEvents, { onInvalid: 'deliver' }>[] = [];
      const subscription = orders.feed('orders.9', { onInvalid: 'deliver' }).subscribe((item) => seen.push(item));
      await until(() => seen.some((item) => item.kind === 'caught-up'), 'caught-up');
      await orders.emit('orders.9', { type: 'OrderCancelled', key: 'o-9', data: { orderId: 'o-9', reason: 'late' } });
      await until(() => seen.length === 5, 'the live event');
      subscription.unsubscribe();
      expect(seen.map((item) => (item.kind === 'event' ? item.event.type : item.kind))).toEqual(['OrderPlaced', 'invalid', 'OrderShipped', 'caught-up', 'OrderCancelled']);
      const last = seen[4]!;
      if (last.kind === 'event' && last.event.type === 'OrderCancelled') expect(last.event.data.reason).toBe('late');
      else throw new Error('the last item is not the OrderCancelled');
    });

    it('refuses options that are not valid with bad-frame, at subscribe, read and pull', async () => {
      const options = { onInvalid: 'drop' } as never;
      await expect(firstValueFrom(orders.subscribe('orders.9', options))).rejects.toMatchObject({ code: 'bad-frame' });
      await expect(orders.read('orders.9', options)).rejects.toMatchObject({ code: 'bad-frame' });
      await expect(orders.iterate('orders.9', options).next()).rejects.toMatchObject({ code: 'bad-frame' });
      // JavaScript callers may hand over the schemas themselves: a clear error, not a TypeError later.
      expect(() => typed(client, { OrderPlaced: z.object({}) } as never)).toThrow('typed: the declaration is one that defineEvents made');
    });
  });
});
