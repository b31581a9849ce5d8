import { describe, expect, it } from 'vitest';
import { isPlainDeliverFrame, isPlainEventsFrame } from '../../protocol/fast-events-check.js';
import { DeliverFrame, EventsFrame } from '../../protocol/frames.js';
import { parseServerFrame } from '../../protocol/validate.js';
import { expectAgreement, FULL_EVENT_INPUT, withField } from './fast-check-agreement.js';

// The fast check of `events` frames must never accept what the schema refuses or would change:
// every frame it passes, zod passes unchanged. Checked against a valid frame and many mutations.

const event = {
  ...FULL_EVENT_INPUT,
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
    for (const value of WRONG_VALUES) out.push({ ...frame, events: [event, withField(event, field, value)] });
  }
  for (const field of ['type', 'sub', 'events', 'extra']) {
    for (const value of [...WRONG_VALUES, [event]]) out.push({ ...frame, [field]: value });
  }
  // A required field present but undefined (msgpackr can decode undefined) is as missing.
  out.push({ ...frame, events: [{ ...event, seq: undefined }] }, { ...frame, events: [{ ...event, id: undefined }] });
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
    const { accepted } = expectAgreement(mutations(), isPlainEventsFrame, EventsFrame, parseServerFrame);
    // Mutations that keep the frame valid (an optional field left out, a valid value) do pass.
    expect(accepted).toBeGreaterThan(10);
  });
});

// The same for `deliver` frames (SPEC 17.8), which carry a group member's events.
const deliver = { type: 'deliver', sub: 3, part: 2, gen: 5, events: frame.events, deliveries: [1, 2] };

function deliverMutations(): unknown[] {
  const out: unknown[] = [];
  for (const field of ['type', 'sub', 'part', 'gen', 'events', 'deliveries', 'extra']) {
    for (const value of [...WRONG_VALUES, [event], [1, 0], [1, 1.5]]) out.push({ ...deliver, [field]: value });
  }
  for (const field of [...Object.keys(event), 'extra']) {
    for (const value of WRONG_VALUES) out.push({ ...deliver, events: [event, withField(event, field, value)] });
  }
  return out;
}

describe('the fast check of deliver frames', () => {
  it('accepts a plain valid frame as it is', () => {
    expect(isPlainDeliverFrame(deliver)).toBe(true);
    expect(parseServerFrame(deliver)).toBe(deliver);
  });

  it('passes nothing the schema refuses or would change', () => {
    const { accepted } = expectAgreement(deliverMutations(), isPlainDeliverFrame, DeliverFrame, parseServerFrame);
    expect(accepted).toBeGreaterThan(10);
  });
});
