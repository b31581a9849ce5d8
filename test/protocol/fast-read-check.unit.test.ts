import { describe, expect, it } from 'vitest';
import { isPlainReadFrame } from '../../protocol/fast-read-check.js';
import { ReadFrame } from '../../protocol/frames.js';
import { parseClientFrame } from '../../protocol/validate.js';
import { expectAgreement, withField } from './fast-check-agreement.js';

// The fast check of `read` frames must never accept what the schema refuses or would change:
// every frame it passes, zod passes unchanged. Checked against valid frames and mutations.

const frame = { type: 'read', id: 4, stream: 'account-1', from: { after: 20 }, direction: 'forward', limit: 1000 };

const WRONG_VALUES: unknown[] = [undefined, null, '', 'x'.repeat(257), -1, 0, 1, 1.5, 2 ** 53, Number.NaN, true, {}, [], 'text', 'forward', 'backward', 'start', 'end'];
const STREAMS: unknown[] = ['$all', '*', 'orders.*', 'a*b', '$x', 'x$', 'a.b-c', '\ud800', 'é'];
const FROMS: unknown[] = ['start', 'end', 'middle', { after: 0 }, { after: -1 }, { after: 1.5 }, { after: '1' }, { at: 1 }, { before: 2 }, { event: 'e1' }, { time: 5 }, { after: 1, at: 2 }, { after: undefined }, [], null];

function mutations(): unknown[] {
  const out: unknown[] = [];
  for (const field of [...Object.keys(frame), 'filter', 'extra']) {
    for (const value of WRONG_VALUES) out.push(withField(frame, field, value));
  }
  for (const stream of STREAMS) out.push({ ...frame, stream });
  for (const from of FROMS) out.push({ ...frame, from });
  out.push({ ...frame, filter: { types: ['T'] } }, Object.assign(Object.create({ inherited: 1 }) as object, frame), new Map(Object.entries(frame)));
  return out;
}

describe('the fast check of read frames', () => {
  it('accepts a plain valid frame as it is', () => {
    for (const valid of [frame, { type: 'read', id: 0, stream: 's' }, { ...frame, from: 'end', direction: 'backward' }]) {
      expect(isPlainReadFrame(valid)).toBe(true);
      expect(parseClientFrame(valid)).toBe(valid);
    }
  });

  it('passes nothing the schema refuses or would change, and parseClientFrame answers as the schema does', () => {
    const { accepted } = expectAgreement(mutations(), isPlainReadFrame, ReadFrame, parseClientFrame);
    expect(accepted).toBeGreaterThan(10);
  });
});
