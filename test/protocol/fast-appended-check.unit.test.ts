import { describe, expect, it } from 'vitest';
import { isPlainAppendedFrame } from '../../protocol/fast-appended-check.js';
import { AppendedFrame } from '../../protocol/frames.js';
import { parseServerFrame } from '../../protocol/validate.js';
import { expectAgreement, withField } from './fast-check-agreement.js';

// The fast check of `appended` frames must never accept what the schema refuses or would
// change: every frame it passes, zod passes unchanged. Checked against valid frames and mutations.

const frame = { type: 'appended', id: 4, stream: 'orders.1', tx: 2, seqs: [3, 4, 5], positions: [10, 11, 12], dups: [1] };

const WRONG_VALUES: unknown[] = [undefined, null, '', 'x'.repeat(257), -1, 0, 1, 1.5, 2 ** 53, Number.NaN, true, {}, [], [0], [1, 2], [-1], [1.5], ['1'], [null], 'text'];

function mutations(): unknown[] {
  const out: unknown[] = [];
  for (const field of [...Object.keys(frame), 'extra']) {
    for (const value of WRONG_VALUES) out.push(withField(frame, field, value));
  }
  out.push(Object.assign(Object.create({ inherited: 1 }) as object, frame), new Map(Object.entries(frame)), [frame]);
  return out;
}

describe('the fast check of appended frames', () => {
  it('accepts a plain valid frame as it is', () => {
    expect(isPlainAppendedFrame(frame)).toBe(true);
    expect(parseServerFrame(frame)).toBe(frame);
  });

  it('passes nothing the schema refuses or would change, and parseServerFrame answers as the schema does', () => {
    const { accepted } = expectAgreement(mutations(), isPlainAppendedFrame, AppendedFrame, parseServerFrame);
    expect(accepted, 'mutations that stay valid pass').toBeGreaterThan(5);
  });
});
