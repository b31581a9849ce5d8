import { describe, expect, it } from 'vitest';
import { checkEmit, checkEvent, checkStreamName } from '../../client/emit-check.js';
import { EventInput, StreamName } from '../../protocol/frames.js';

describe('emit checks', () => {
  it('accepts what the protocol schema accepts and refuses what it refuses (events)', () => {
    const cases: unknown[] = [
      { type: 'a' },
      { type: 'a', id: 'x', key: 'k', data: { n: 1 }, meta: { a: 'b' }, time: 5, causation: 'c', correlation: 'd', schema: 's' },
      { type: '' },
      { type: 'x'.repeat(257) },
      { type: 'a', id: '' },
      { type: 'a', key: 7 },
      { type: 'a', time: -1 },
      { type: 'a', time: 1.5 },
      { type: 'a', meta: { a: 1 } },
      { type: 'a', meta: 'no' },
      { type: 'a', schema: '' },
      { id: 'x' },
      null,
      'event',
    ];
    for (const event of cases) {
      expect(checkEvent(event) === undefined, JSON.stringify(event)).toBe(EventInput.safeParse(event).success);
    }
  });

  it('refuses reserved event types with forbidden', () => {
    expect(checkEvent({ type: '$invalidated' })?.code).toBe('forbidden');
  });

  it('accepts the stream names the schema accepts and refuses the others', () => {
    for (const name of ['orders', 'a.b-c', 'x'.repeat(256), '', 'x'.repeat(257), 'a*', '*', '$all', '$x', 'a$']) {
      expect(checkStreamName(name) === undefined, name).toBe(StreamName.safeParse(name).success);
    }
    expect(checkStreamName('$all')?.code).toBe('forbidden');
    expect(checkStreamName('a*')?.code).toBe('bad-frame');
  });

  it('checks a whole emit', () => {
    expect(checkEmit('s', [{ type: 'a' }], undefined)).toBeUndefined();
    expect(checkEmit('s', [], undefined)?.code).toBe('bad-frame');
    expect(checkEmit('s', [{ type: 'a' }], { expected: -1 })?.code).toBe('bad-frame');
    expect(checkEmit('s', [{ type: 'a' }], { expected: 'exists' })).toBeUndefined();
    expect(checkEmit('s', [{ type: 'a' }, { type: '' }], undefined)?.code).toBe('bad-frame');
  });
});
