import { describe, expect, it } from 'vitest';
import { isPlainAckFrame } from '../../protocol/fast-ack-check.js';
import { AckFrame } from '../../protocol/frames.js';
import { parseClientFrame } from '../../protocol/validate.js';
import { expectAgreement } from './fast-check-agreement.js';

// The fast check of `ack` frames must never accept what the schema refuses or would change:
// every frame it passes, zod passes unchanged. Checked against valid frames and many mutations.

const frame = { type: 'ack', sub: 3, part: 2, gen: 5, pos: [7, 9, 12], upTo: 4 };

const WRONG_VALUES: unknown[] = [undefined, null, '', 'x', -1, 0, 1.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, true, {}, [], { a: 1 }, 5];

function mutations(): unknown[] {
  const out: unknown[] = [];
  for (const field of ['type', 'sub', 'part', 'gen', 'pos', 'upTo', 'extra']) {
    for (const value of [...WRONG_VALUES, [1], [1, 0], [1, -2], [1, 1.5], ['1'], [null], [2 ** 53], new Array(10_001).fill(1), new Array(10_000).fill(1)]) {
      out.push({ ...frame, [field]: value });
    }
  }
  const { pos: _pos, ...withoutPos } = frame;
  const { upTo: _upTo, ...withoutUpTo } = frame;
  out.push(withoutPos, withoutUpTo, { type: 'ack', sub: 1, part: 0, gen: 1 });
  // eslint-disable-next-line no-sparse-arrays
  out.push({ ...frame, pos: [1, , 3] }, new Map(Object.entries(frame)), [frame], Object.assign(Object.create({ inherited: 1 }) as object, frame));
  return out;
}

describe('the fast check of ack frames', () => {
  it('accepts a plain valid frame as it is', () => {
    expect(isPlainAckFrame(frame)).toBe(true);
    expect(parseClientFrame(frame)).toBe(frame);
  });

  it('passes nothing the schema refuses or would change, and parseClientFrame answers as the schema does', () => {
    const { accepted } = expectAgreement(mutations(), isPlainAckFrame, AckFrame, parseClientFrame);
    // Mutations that keep the frame valid (an optional field left out, a valid value) do pass.
    expect(accepted).toBeGreaterThan(10);
  });
});
