import { z } from 'zod';
import { defineEvents } from '../../client/index.js';
import type { StandardSchemaV1 } from '../../client/index.js';

/** The declaration the typed tests share: zod 4 schemas, a schema URI base and one URI of its own. */
export const orderEvents = defineEvents(
  {
    OrderPlaced: z.object({ orderId: z.string(), total: z.number().nonnegative() }),
    OrderShipped: z.object({ orderId: z.string(), carrier: z.string().default('post') }),
    OrderCancelled: z.object({ orderId: z.string(), reason: z.string().optional() }),
  },
  {
    schemaBase: 'https://example.com/schemas/orders/',
    schemaUris: { OrderCancelled: 'urn:tauon-test:order-cancelled:v2' },
  },
);

/**
 * A Standard Schema (not zod) whose check of each value waits until the test releases it: makes
 * an async check finish after a later synchronous one, with no timer.
 */
export function heldSchema<T>(accept: (value: unknown) => value is T): {
  schema: StandardSchemaV1<T>;
  /** Checks started and not yet released, oldest first. */
  held: (() => void)[];
  /** Releases every held check. */
  releaseAll: () => void;
} {
  const held: (() => void)[] = [];
  const schema: StandardSchemaV1<T> = {
    '~standard': {
      version: 1,
      vendor: 'tauon-test',
      validate: (value) =>
        new Promise((resolve) => {
          held.push(() => resolve(accept(value) ? { value } : { issues: [{ message: 'not accepted', path: ['n'] }] }));
        }),
    },
  };
  return {
    schema,
    held,
    releaseAll: () => {
      for (const release of held.splice(0)) release();
    },
  };
}

/** `{n: number}`. */
export function isCounted(value: unknown): value is { n: number } {
  return typeof value === 'object' && value !== null && typeof (value as { n?: unknown }).n === 'number';
}

/** Waits until `check` holds, polling every few milliseconds, for at most `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Lets every pending promise callback run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
