import { describe, expect, it } from 'vitest';
import { isPlainPageFrame } from '../../protocol/fast-page-check.js';
import { PageFrame } from '../../protocol/frames.js';
import { parseServerFrame } from '../../protocol/validate.js';
import { expectAgreement, FULL_EVENT_INPUT, withField } from './fast-check-agreement.js';

// The fast check of `page` frames (a read's answer) must never accept what the schema refuses
// or would change: every frame it passes, zod passes unchanged. Checked against mutations.

const event = { ...FULL_EVENT_INPUT, stream: 'orders.1', seq: 1, pos: 7, tx: 1, recorded: 1_700_000_000_001 };
const frame = { type: 'page', id: 9, events: [event, { ...event, id: 'e2', seq: 2, pos: 8 }], next: null };

const WRONG_VALUES: unknown[] = [undefined, null, '', 'x'.repeat(257), -1, 0, 1.5, 2 ** 53, Number.NaN, true, {}, [], { a: 1 }, 'text', 5];
const NEXTS: unknown[] = [null, 'start', 'end', { after: 0 }, { after: 3 }, { before: 1 }, { before: 0 }, { after: -1 }, { after: 1.5 }, { at: 2 }, { event: 'e1' }, { time: 5 }, { after: 1, before: 2 }, { after: undefined }, { after: 1, extra: 1 }, [], { after: '1' }];

function mutations(): unknown[] {
  const out: unknown[] = [];
  for (const field of [...Object.keys(event), 'extra']) {
    for (const value of WRONG_VALUES) out.push({ ...frame, events: [event, withField(event, field, value)] });
  }
  for (const field of ['type', 'id', 'events', 'next', 'extra']) {
    for (const value of [...WRONG_VALUES, [event]]) out.push(withField(frame, field, value));
  }
  for (const next of NEXTS) out.push({ ...frame, next }, { ...frame, events: [], next });
  out.push({ ...frame, events: [Object.assign(Object.create({ inherited: 1 }) as object, event)] }, { ...frame, events: [[event]] });
  out.push(Object.assign(Object.create({ inherited: 1 }) as object, frame));
  return out;
}

describe('the fast check of page frames', () => {
  it('accepts a plain valid frame as it is, with or without events, ending or going on', () => {
    for (const valid of [frame, { ...frame, events: [] }, { ...frame, next: { after: 2 } }, { ...frame, next: { before: 1 } }]) {
      expect(isPlainPageFrame(valid)).toBe(true);
      expect(parseServerFrame(valid)).toBe(valid);
    }
  });

  it('passes nothing the schema refuses or would change, and parseServerFrame answers as the schema does', () => {
    const { accepted } = expectAgreement(mutations(), isPlainPageFrame, PageFrame, parseServerFrame);
    expect(accepted).toBeGreaterThan(10);
  });
});
