import { describe, expect, it } from 'vitest';
import { parseClientFrame, parseServerFrame } from '../../protocol/validate.js';

/** The message of the error a validator throws for a frame. */
function messageOf(parse: (value: unknown) => unknown, frame: unknown): string {
  try {
    parse(frame);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`accepted: ${JSON.stringify(frame)}`);
}

// The schemas run on zod/mini, which sets no locale: without the English one that frames.ts
// loads, every message below would read "Invalid input". Nothing else in this file loads zod.
describe('the messages of refused frames', () => {
  it('name the field and say what is wrong, in English', () => {
    expect(messageOf(parseClientFrame, { type: 'append', id: 1, stream: '', events: [{ type: 'T' }] })).toBe(
      'bad "append" frame: stream: Too small: expected string to have >=1 characters',
    );
    expect(messageOf(parseClientFrame, { type: 'append', id: -1, stream: 's', events: [{ type: 'T' }] })).toBe(
      'bad "append" frame: id: Too small: expected number to be >=0',
    );
    expect(messageOf(parseClientFrame, { type: 'subscribe', sub: 1, stream: 's', mode: 'warm', credit: 1 })).toBe(
      'bad "subscribe" frame: mode: Invalid option: expected one of "cold"|"hot"|"hot-cold"',
    );
    expect(messageOf(parseClientFrame, { type: 'credit', sub: 1, n: 1.5 })).toBe('bad "credit" frame: n: Invalid input: expected int, received number');
    expect(messageOf(parseServerFrame, { type: 'caught-up', sub: 1, at: 'x' })).toBe('bad "caught-up" frame: at: Invalid input: expected number, received string');
  });

  it('keep the protocol\'s own messages for refinements', () => {
    expect(messageOf(parseClientFrame, { type: 'append', id: 1, stream: '$s', events: [{ type: 'T' }] })).toBe(
      'bad "append" frame: stream: a stream name has no "*" and does not start with "$"',
    );
    expect(messageOf(parseClientFrame, { type: 'append', id: 1, stream: 's', events: [{ type: 'T', meta: { a: 1 } }] })).toBe(
      'bad "append" frame: events.0.meta.a: expected string, received number',
    );
  });
});
