import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvents, EventValidationError, TauonError, UnknownEventTypeError } from '../../client/index.js';
import type { StandardSchemaV1, StoredEvent } from '../../client/index.js';
import { decodeEvent, receivePolicy } from '../../client/typed-decode.js';
import type { Decoded, ReceivePolicy } from '../../client/typed-decode.js';
import { inOrder } from '../../client/typed-in-order.js';
import type { StepOutcome } from '../../client/typed-in-order.js';
import { checkWith } from '../../client/typed-standard-schema.js';
import { heldSchema, isCounted, orderEvents, settle } from './schemas.js';

function stored(type: string, data: unknown, seq = 1): StoredEvent {
  return { id: `e-${seq}`, type, data, stream: 'orders.1', seq, pos: seq, tx: seq, recorded: 1_700_000_000_000 };
}

const strict: ReceivePolicy = { onInvalid: 'error', unknown: 'error' };

describe('defineEvents', () => {
  it('keeps the types in declaration order and sets schema URIs from the base, a URI of its own winning', () => {
    expect(orderEvents.types).toEqual(['OrderPlaced', 'OrderShipped', 'OrderCancelled']);
    expect(orderEvents.schemaUriOf('OrderPlaced')).toBe('https://example.com/schemas/orders/OrderPlaced');
    expect(orderEvents.schemaUriOf('OrderCancelled')).toBe('urn:tauon-test:order-cancelled:v2');
    expect(orderEvents.schemaUriOf('Other')).toBeUndefined();
    expect(orderEvents.has('OrderShipped')).toBe(true);
    expect(orderEvents.has('OrderLost')).toBe(false);
    expect(defineEvents({ A: z.string() }).schemaUriOf('A')).toBeUndefined();
  });

  it('refuses a type that could not be emitted, a value that is not a schema, and bad URIs, with stable codes', () => {
    const refused = (make: () => unknown): TauonError => {
      try {
        make();
      } catch (error) {
        expect(error).toBeInstanceOf(TauonError);
        return error as TauonError;
      }
      throw new Error('defineEvents accepted it');
    };
    expect(refused(() => defineEvents({ $Sys: z.string() })).code).toBe('forbidden');
    expect(refused(() => defineEvents({ '': z.string() })).code).toBe('bad-frame');
    expect(refused(() => defineEvents({ ['x'.repeat(257)]: z.string() })).code).toBe('bad-frame');
    const notASchema = refused(() => defineEvents({ A: { parse: () => 1 } as unknown as StandardSchemaV1 }));
    expect(notASchema.code).toBe('bad-frame');
    expect(notASchema.message).toMatch(/A does not implement Standard Schema/);
    expect(refused(() => defineEvents({ A: z.string() }, { schemaUris: { A: '' } })).message).toMatch(/schema URI of A/);
    expect(refused(() => defineEvents({ A: z.string() }, { schemaBase: 'u'.repeat(1024) })).code).toBe('bad-frame');
    expect(refused(() => defineEvents({ A: z.string() }, { schemaUris: { B: 'urn:b' } as never })).message).toMatch(/B, which is not declared/);
  });
});

describe('checking received events', () => {
  it('gives the schema output as data for a valid event (zod defaults applied)', () => {
    const decoded = decodeEvent(orderEvents, strict, stored('OrderShipped', { orderId: '7' }));
    expect(decoded).toEqual({ kind: 'typed', event: stored('OrderShipped', { orderId: '7', carrier: 'post' }) });
  });

  it('raises EventValidationError (bad-frame) naming the event and the issue, or delivers the invalid event', () => {
    const event = stored('OrderPlaced', { orderId: '7', total: -1 }, 4);
    const failed = decodeEvent(orderEvents, strict, event) as Extract<Decoded, { kind: 'error' }>;
    expect(failed.kind).toBe('error');
    expect(failed.error).toBeInstanceOf(EventValidationError);
    expect(failed.error.code).toBe('bad-frame');
    expect(failed.error.name).toBe('EventValidationError');
    expect(failed.error.message).toMatch(/^event orders\.1#4: its data does not match the schema of OrderPlaced: total: /);
    expect(failed.error.details).toMatchObject({ type: 'OrderPlaced', stream: 'orders.1', seq: 4 });
    expect((failed.error.details as { issues: string[] }).issues).toEqual([expect.stringMatching(/^total: /)]);
    const delivered = decodeEvent(orderEvents, { onInvalid: 'deliver', unknown: 'skip' }, event);
    expect(delivered).toMatchObject({ kind: 'invalid', event });
    expect((delivered as Extract<Decoded, { kind: 'invalid' }>).issues[0]!.path).toEqual(['total']);
  });

  it('passes, skips or fails an undeclared type, and never fails a system event', () => {
    const other = stored('PriceChanged', { p: 1 });
    const system = stored('$invalidated', { tx: 1 });
    expect(decodeEvent(orderEvents, { onInvalid: 'error', unknown: 'pass' }, other)).toEqual({ kind: 'untyped', event: other });
    expect(decodeEvent(orderEvents, { onInvalid: 'error', unknown: 'skip' }, other)).toEqual({ kind: 'skip' });
    const failed = decodeEvent(orderEvents, strict, other) as Extract<Decoded, { kind: 'error' }>;
    expect(failed.error).toBeInstanceOf(UnknownEventTypeError);
    expect(failed.error.code).toBe('bad-frame');
    expect(failed.error.message).toMatch(/type "PriceChanged" is not declared \(declared: OrderPlaced, OrderShipped, OrderCancelled\)/);
    expect(decodeEvent(orderEvents, strict, system)).toEqual({ kind: 'skip' });
    expect(decodeEvent(orderEvents, { onInvalid: 'error', unknown: 'pass' }, system)).toEqual({ kind: 'untyped', event: system });
  });

  it('answers with a promise for an async zod schema, and the same outcomes', async () => {
    const declaration = defineEvents({ Checked: z.object({ n: z.number() }).refine(async (value) => Promise.resolve(value.n > 0), 'n is positive') });
    const good = decodeEvent(declaration, strict, stored('Checked', { n: 1 }));
    expect(good).toBeInstanceOf(Promise);
    expect(await good).toEqual({ kind: 'typed', event: stored('Checked', { n: 1 }) });
    const bad = (await decodeEvent(declaration, strict, stored('Checked', { n: 0 }))) as Extract<Decoded, { kind: 'error' }>;
    expect(bad.error.message).toMatch(/n is positive/);
  });

  it('turns a schema that throws or rejects into a failed check, never an escaping error', async () => {
    const throwing: StandardSchemaV1 = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: () => {
          throw new Error('boom');
        },
      },
    };
    const rejecting: StandardSchemaV1 = { '~standard': { version: 1, vendor: 'test', validate: () => Promise.reject(new Error('late boom')) } };
    expect(checkWith(throwing, 1)).toEqual({ ok: false, issues: [{ message: 'the schema failed: boom' }] });
    expect(await checkWith(rejecting, 1)).toEqual({ ok: false, issues: [{ message: 'the schema failed: late boom' }] });
  });

  it('refuses options that are not valid with bad-frame', () => {
    expect(receivePolicy(undefined)).toEqual({ onInvalid: 'error', unknown: 'skip' });
    expect((receivePolicy({ onInvalid: 'drop' as never }) as TauonError).code).toBe('bad-frame');
    expect((receivePolicy({ unknown: 'ignore' as never }) as TauonError).message).toMatch(/unknown is "pass", "skip" or "error"/);
  });
});

describe('inOrder', () => {
  it('keeps the order of items across async steps, completion included', async () => {
    const { schema, held } = heldSchema(isCounted);
    const source = new Subject<{ n: number; slow: boolean }>();
    const seen: unknown[] = [];
    let completed = false;
    source
      .pipe(
        inOrder((item): StepOutcome<number> | Promise<StepOutcome<number>> => {
          if (!item.slow) return { next: item.n };
          return Promise.resolve(schema['~standard'].validate(item)).then(() => ({ next: item.n }));
        }),
      )
      .subscribe({ next: (n) => seen.push(n), complete: () => (completed = true) });
    source.next({ n: 1, slow: false });
    expect(seen).toEqual([1]); // a synchronous step hands on in the same tick
    source.next({ n: 2, slow: true });
    source.next({ n: 3, slow: false });
    source.next({ n: 4, slow: true });
    source.complete();
    await settle();
    expect(seen).toEqual([1]);
    expect(held).toHaveLength(1); // 4 is not even checked before 2 is done
    held.shift()!();
    await settle();
    expect(seen).toEqual([1, 2, 3]);
    expect(completed).toBe(false);
    held.shift()!();
    await settle();
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(completed).toBe(true);
  });

  it('skips, errors the Observable after the items before, and turns a throwing step into an error', async () => {
    const source = new Subject<number>();
    const seen: unknown[] = [];
    let failure: unknown;
    source
      .pipe(
        inOrder((n): StepOutcome<number> | Promise<StepOutcome<number>> => {
          if (n === 2) return { skip: true };
          if (n === 3) return Promise.resolve({ next: 3 });
          if (n === 4) return { error: new Error('four') };
          return { next: n };
        }),
      )
      .subscribe({ next: (n) => seen.push(n), error: (error: unknown) => (failure = error) });
    for (const n of [1, 2, 3, 4, 5]) source.next(n);
    await settle();
    expect(seen).toEqual([1, 3]);
    expect((failure as Error).message).toBe('four');
    expect(source.observed).toBe(false); // the source was unsubscribed

    const again = new Subject<number>();
    let thrown: unknown;
    again
      .pipe(
        inOrder((): StepOutcome<number> => {
          throw new Error('step threw');
        }),
      )
      .subscribe({ error: (error: unknown) => (thrown = error) });
    again.next(1);
    expect((thrown as Error).message).toBe('step threw');
  });
});
