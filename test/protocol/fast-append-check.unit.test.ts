import { describe, expect, it } from 'vitest';
import { isPlainAppendFrame } from '../../protocol/fast-append-check.js';
import { AppendFrame } from '../../protocol/frames.js';
import { parseClientFrame } from '../../protocol/validate.js';
import { expectAgreement, FULL_EVENT_INPUT, withField } from './fast-check-agreement.js';

// The fast check of `append` frames must never accept what the schema refuses or would change:
// every frame it passes, zod passes unchanged. Checked against valid frames and many mutations.

const event = FULL_EVENT_INPUT;
const frame = {
  type: 'append',
  id: 7,
  stream: 'orders.1',
  events: [event, { ...event, id: 'e2' }],
  expected: 3,
  dedupe: true,
  newChain: false,
};
/** An append with a condition (SPEC 5.8.1). */
const condition = { stream: 'seats.*', types: ['SeatReserved', 'SeatReleased'], keys: ['seat-7'], after: 41 };
const conditioned = { ...frame, condition };
/** What the client sends most: events with a type, data and an id, no options. */
const minimal = { type: 'append', id: 1, stream: 's', events: [{ type: 'Bench', data: { n: 1 }, id: 'x' }] };

const WRONG_VALUES: unknown[] = [
  undefined, null, '', 'x'.repeat(257), 'x'.repeat(1025), 'x'.repeat(256), -1, 0, 1.5, 2 ** 53, Number.NaN,
  Number.POSITIVE_INFINITY, true, false, {}, [], { a: 1 }, { a: 'b' }, 'text', 5, 'any', 'none', 'exists', 'all',
];
const STREAM_NAMES: unknown[] = ['$all', '$x', 'a*', '*', 'a.*', 'a$b', 'a\nb', '\n', 'a b', 'é', '\u{1F600}', 'x'.repeat(256), 'x'.repeat(257)];

function mutations(): unknown[] {
  const out: unknown[] = [];
  for (const field of [...Object.keys(event), 'extra', 'stream', 'seq']) {
    for (const value of WRONG_VALUES) out.push({ ...frame, events: [event, withField(event, field, value)] });
  }
  for (const field of [...Object.keys(frame), 'extra']) {
    for (const value of [...WRONG_VALUES, [event]]) out.push(withField(frame, field, value));
  }
  for (const stream of STREAM_NAMES) out.push({ ...frame, stream }, { ...minimal, stream });
  for (const field of [...Object.keys(condition), 'extra']) {
    for (const value of [...WRONG_VALUES, ['T'], ['T', 'T'], Array.from({ length: 9 }, (_, i) => `T${i}`), Array.from({ length: 101 }, (_, i) => `k${i}`), [''], [1]]) {
      out.push({ ...frame, condition: withField(condition, field, value) });
    }
  }
  for (const stream of [...STREAM_NAMES, 'a*b', '**', '*a', '$all*', '$x*', 'x'.repeat(255) + '*', 'x'.repeat(256) + '*']) out.push({ ...frame, condition: { ...condition, stream } });
  out.push({ ...minimal, condition: { stream: '$all', types: ['T'], after: 0 } });
  out.push(
    { ...frame, events: [{ ...event, meta: { a: 1 } }] },
    { ...frame, events: [{ ...event, meta: {} }] },
    { ...frame, events: [{ ...event, data: undefined }] },
    { ...frame, events: [{ ...event, key: undefined }] },
    { ...frame, events: [{ ...event, type: undefined }] },
    { ...frame, events: [{ ...event, id: undefined }] },
    { ...frame, events: [Object.assign(Object.create({ inherited: 1 }) as object, event)] },
    { ...frame, events: [Object.assign(Object.create(null) as object, event)] },
    Object.assign(Object.create(null) as object, frame),
    Object.assign(Object.create({ inherited: 1 }) as object, frame),
    { ...frame, events: [new Map(Object.entries(event))] },
    { ...frame, events: [[event]] },
    { ...frame, events: [event, null] },
    { ...frame, type: 'events' },
    minimal,
  );
  return out;
}

describe('the fast check of append frames', () => {
  it('accepts plain valid frames as they are', () => {
    for (const value of [frame, minimal, conditioned]) {
      expect(isPlainAppendFrame(value)).toBe(true);
      expect(parseClientFrame(value)).toBe(value);
    }
  });

  it('passes nothing the schema refuses or would change, and parseClientFrame answers as the schema does', () => {
    const { accepted, refused } = expectAgreement(mutations(), isPlainAppendFrame, AppendFrame, parseClientFrame);
    // Mutations that keep the frame valid (an optional field left out, a valid value) do pass,
    // and many do not.
    expect(accepted).toBeGreaterThan(30);
    expect(refused).toBeGreaterThan(100);
  });
});
