import { describe, expect, it } from 'vitest';
import { checkEmit, checkEvent, checkStreamName } from '../../client/emit-check.js';
import { EventInput, StreamName } from '../../protocol/frames.js';

/** Arrays nested `depth` levels around a number. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < depth; level++) value = [value];
  return value;
}

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
      { type: 'a\ud800' },
      { type: 'a', key: '\udc00' },
      { type: 'a', meta: { m: 'x\ud800' } },
      { type: 'a', meta: { ['\ud800']: 'x' } },
      { type: 'a', data: { text: '\ud800' } },
      { type: 'a', data: { ['k\udfff']: 1 } },
      { type: 'a', data: '\ud83d\ude00' },
      { type: 'a', data: nested(100) },
      { type: 'a', data: nested(101) },
      { type: 'a', data: JSON.parse('{"__proto__":{"x":1}}') as unknown },
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
    for (const name of ['orders', 'a\ud800', '\ud83d\ude00', 'a.b-c', 'x'.repeat(256), '', 'x'.repeat(257), 'a*', '*', '$all', '$x', 'a$']) {
      expect(checkStreamName(name) === undefined, name).toBe(StreamName.safeParse(name).success);
    }
    expect(checkStreamName('$all')?.code).toBe('bad-frame'); // SPEC 5.1, as the server answers
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
