// What the tests of the fast frame checks (protocol/fast-*-check.ts) share: the rule they hold
// each check to, a way to mutate frames, and an event with every optional field.
import { expect } from 'vitest';
import type * as z from 'zod/mini';

/** An event as a client appends it, with every optional field set. */
export const FULL_EVENT_INPUT = {
  id: 'e1',
  type: 'OrderPlaced',
  key: 'order-1',
  data: { total: 42, items: [1, 2] },
  meta: { tenant: 'a' },
  time: 1_700_000_000_000,
  causation: 'c1',
  correlation: 'r1',
  schema: 'urn:order',
};

/** `base` with `field` set to `value`, or left out when `value` is undefined. */
export function withField(base: object, field: string, value: unknown): Record<string, unknown> {
  const changed: Record<string, unknown> = { ...base, [field]: value };
  if (value === undefined) delete changed[field];
  return changed;
}

/**
 * Holds a fast check to its schema on every value: what it accepts, the schema accepts
 * unchanged; and `parse` (the decoder's entry point, which takes the fast path) refuses what
 * the schema refuses and answers what the schema answers. Returns how many values the fast
 * check accepted and refused.
 */
export function expectAgreement(
  values: readonly unknown[],
  fastCheck: (value: unknown) => boolean,
  schema: z.ZodMiniType,
  parse: (value: unknown) => unknown,
): { accepted: number; refused: number } {
  let accepted = 0;
  let refused = 0;
  for (const value of values) {
    const label = JSON.stringify(value);
    const parsedBySchema = schema.safeParse(value);
    if (fastCheck(value)) {
      accepted += 1;
      expect(parsedBySchema.success, label).toBe(true);
      expect(parsedBySchema.data, label).toEqual(value);
    } else {
      refused += 1;
    }
    let parsed: unknown;
    try {
      parsed = parse(value);
    } catch {
      parsed = REFUSED;
    }
    expect(parsed === REFUSED, label).toBe(!parsedBySchema.success);
    if (parsedBySchema.success) expect(parsed, label).toEqual(parsedBySchema.data);
  }
  return { accepted, refused };
}

const REFUSED = Symbol('refused');
