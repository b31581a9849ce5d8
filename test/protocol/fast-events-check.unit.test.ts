import { describe, expect, it } from 'vitest';
import { isPlainEventsFrame } from '../../protocol/fast-events-check.js';
import { EventsFrame } from '../../protocol/frames.js';
import { parseServerFrame } from '../../protocol/validate.js';

// The fast check of `events` frames must never accept what the schema refuses or would change:
// every frame it passes, zod passes unchanged. Checked against a valid frame and many mutations.

const event = {
  id: 'e1',
  type: 'OrderPlaced',
  key: 'order-1',
  data: { total: 42, items: [1, 2] },
  meta: { tenant: 'a' },
  time: 1_700_000_000_000,
  causation: 'c1',
  correlation: 'r1',
  schema: 'urn:order',
  stream: 'orders.1',
  seq: 1,
  pos: 7,
  tx: 1,
  recorded: 1_700_000_000_001,
};
const frame = { type: 'events', sub: 3, events: [event, { ...event, id: 'e2', seq: 2, pos: 8 }] };

const WRONG_VALUES: unknown[] = [undefined, null, '', 'x'.repeat(257), 'x'.repeat(1025), -1, 0, 1.5, 2 ** 53, Number.NaN, true, {}, [], { a: 1 }, 'text', 5];

function mutations(): unknown[] {
  const out: unknown[] = [];
  for (const field of [...Object.keys(event), 'extra']) {
    for (const value of WRONG_VALUES) {
      const changed: Record<string, unknown> = { ...event, [field]: value };
      if (value === undefined) delete changed[field];
      out.push({ ...frame, events: [event, changed] });
    }
  }
  for (const field of ['type', 'sub', 'events', 'extra']) {
    for (const value of [...WRONG_VALUES, [event]]) out.push({ ...frame, [field]: value });
  }
  out.push({ ...frame, events: [{ ...event, meta: { a: 1 } }] }, { ...frame, events: [Object.assign(Object.create({ inherited: 1 }) as object, event)] });
  out.push({ ...frame, events: [new Map(Object.entries(event))] }, { ...frame, events: [[event]] });
  return out;
}

describe('the fast check of events frames', () => {
  it('accepts a plain valid frame as it is', () => {
    expect(isPlainEventsFrame(frame)).toBe(true);
    expect(parseServerFrame(frame)).toBe(frame);
  });

  it('passes nothing the schema refuses or would change, and parseServerFrame answers as the schema does', () => {
    let accepted = 0;
    for (const value of mutations()) {
      const schema = EventsFrame.safeParse(value);
      if (isPlainEventsFrame(value)) {
        accepted += 1;
        expect(schema.success, JSON.stringify(value)).toBe(true);
        expect(schema.data, JSON.stringify(value)).toEqual(value);
      }
      let parsed: unknown;
      try {
        parsed = parseServerFrame(value);
      } catch {
        parsed = 'refused';
      }
      expect(parsed === 'refused', JSON.stringify(value)).toBe(!schema.success);
    }
    // Mutations that keep the frame valid (an optional field left out, a valid value) do pass.
    expect(accepted).toBeGreaterThan(10);
  });
});
