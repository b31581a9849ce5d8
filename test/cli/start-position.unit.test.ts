import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/arguments.js';
import { dataCell, eventTable, printsJson } from '../../cli/event-output.js';
import { formatStartPosition, parseStartPosition } from '../../cli/start-position.js';

describe('--from', () => {
  it('takes every start position of SPEC 5.7, and gives back what it took', () => {
    const cases = [
      ['start', 'start'],
      ['end', 'end'],
      ['7', { at: 7 }],
      ['at:7', { at: 7 }],
      ['after:0', { after: 0 }],
      ['after:12', { after: 12 }],
      ['before:3', { before: 3 }],
      ['event:order-1:placed', { event: 'order-1:placed' }],
      ['time:1700000000000', { time: 1_700_000_000_000 }],
      ['time:2023-11-14T22:13:20.000Z', { time: 1_700_000_000_000 }],
    ] as const;
    for (const [text, position] of cases) {
      expect(parseStartPosition(text), text).toEqual(position);
      expect(parseStartPosition(formatStartPosition(position)), text).toEqual(position);
    }
  });

  it('refuses what is not a position, naming the flag', () => {
    for (const text of ['0', 'at:0', 'before:0', 'after:-1', 'after:1.5', 'later', 'event:', 'time:yesterday', 'time:2023-13-45', '9007199254740993']) {
      expect(() => parseStartPosition(text), text).toThrow(UsageError);
    }
    expect(() => parseStartPosition('soon', '--to')).toThrow(/^--to is start\|end\|N/);
  });
});

describe('event output', () => {
  it('is JSON with --json or when stdout is not a terminal, text only on a terminal without --json', () => {
    expect(printsJson({}, false)).toBe(true);
    expect(printsJson({ json: true }, true)).toBe(true);
    expect(printsJson({}, true)).toBe(false);
  });

  it('aligns one line per event, data cut to a short cell', () => {
    const lines = eventTable([
      { stream: 'cart', seq: 1, pos: 9, tx: 1, id: 'a', type: 'Added', key: 'apple', data: { qty: 1 }, recorded: 0 },
      { stream: 'cart.longer', seq: 10, pos: 10, tx: 2, id: 'b', type: 'Removed', recorded: 1000 },
    ]);
    expect(lines).toEqual([
      'POS  STREAM       SEQ  TX  RECORDED                  TYPE     KEY    DATA',
      '9    cart         1    1   1970-01-01T00:00:00.000Z  Added    apple  {"qty":1}',
      '10   cart.longer  10   2   1970-01-01T00:00:01.000Z  Removed  -      -',
    ]);
    expect(dataCell('x'.repeat(100))).toHaveLength(60);
    expect(dataCell('x'.repeat(100)).endsWith('…')).toBe(true);
    expect(dataCell(null)).toBe('null');
  });
});
