import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../protocol/error-codes.js';
import { TauonError } from '../../protocol/errors.js';
import {
  ClientFrame,
  ErrorCodeSchema,
  EventInput,
  ExpectedVersion,
  FRAME_TYPES,
  MAX_NAME_LENGTH,
  ServerFrame,
  StartPosition,
  StoredEvent,
  StreamName,
  StreamSelector,
  typeOfFrameSchema,
} from '../../protocol/frames.js';
import { parseClientFrame, parseServerFrame } from '../../protocol/validate.js';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(TauonError);
    return (error as TauonError).code;
  }
  return undefined;
}

const CLIENT_TYPES = [
  'hello', 'append', 'subscribe', 'credit', 'unsubscribe', 'read', 'surface', 'invalidate', 'streams', 'info',
  // consumer groups (SPEC 17)
  'consume', 'ack', 'nack', 'release', 'groups', 'group', 'replay-parked',
  // projections (SPEC 18)
  'projections', 'projection', 'projection-entries', 'watch-projection', 'rebuild-projection',
  'ping', 'pong',
];
const SERVER_TYPES = [
  'welcome', 'reject', 'appended', 'events', 'caught-up', 'fell-behind', 'complete', 'page', 'stream-list', 'server-info',
  // consumer groups (SPEC 17)
  'assigned', 'deliver', 'group-list', 'group-info', 'replaying',
  // projections (SPEC 18)
  'projection-list', 'projection-state', 'projection-page', 'projection-watching', 'projection-changed', 'projection-rebuilding',
  'error', 'ping', 'pong',
];

describe('FRAME_TYPES', () => {
  it('lists all 46 frame types of protocol v1, each once', () => {
    expect(FRAME_TYPES).toHaveLength(46);
    expect(new Set(FRAME_TYPES).size).toBe(46);
    expect(new Set(FRAME_TYPES)).toEqual(new Set([...CLIENT_TYPES, ...SERVER_TYPES]));
  });

  it('splits into 24 client frames and 24 server frames, ping and pong on both sides', () => {
    expect(ClientFrame.def.options.map(typeOfFrameSchema)).toEqual(CLIENT_TYPES);
    expect(ServerFrame.def.options.map(typeOfFrameSchema)).toEqual(SERVER_TYPES);
  });
});

describe('stream names and selectors', () => {
  const names = ['orders', 'orders.42', 'a', 'price$usd', 'tenant-1/prices:EUR Q1', 'café.订单', '😀', 'x'.repeat(MAX_NAME_LENGTH)];
  const patterns = ['orders.*', '*', 'a*', '😀*'];

  it('accepts ordinary names as stream names and as selectors', () => {
    for (const name of names) {
      expect(StreamName.safeParse(name).success, name).toBe(true);
      expect(StreamSelector.safeParse(name).success, name).toBe(true);
    }
  });

  it('accepts prefix patterns and $all as selectors only', () => {
    for (const selector of [...patterns, '$all']) {
      expect(StreamSelector.safeParse(selector).success, selector).toBe(true);
      expect(StreamName.safeParse(selector).success, selector).toBe(false);
    }
  });

  it('refuses names that start with "$", hold "*" before the end, or are empty, everywhere', () => {
    for (const bad of ['$x', '$', '$all*', '$ALL', 'a*b', '*a', '**', 'a**', '', 'x'.repeat(MAX_NAME_LENGTH + 1)]) {
      expect(StreamName.safeParse(bad).success, bad).toBe(false);
      expect(StreamSelector.safeParse(bad).success, bad).toBe(false);
    }
  });

  it('counts length in Unicode code points: 256 emoji pass, 257 do not', () => {
    expect(StreamName.safeParse('😀'.repeat(256)).success).toBe(true);
    expect(StreamName.safeParse('😀'.repeat(257)).success).toBe(false);
    expect(StreamSelector.safeParse(`${'😀'.repeat(255)}*`).success).toBe(true);
    expect(StreamSelector.safeParse(`${'😀'.repeat(256)}*`).success).toBe(false);
  });

  it('takes a selector in subscribe and read, and only a stream name in append, surface and invalidate', () => {
    const selector = 'orders.*';
    expect(codeOf(() => parseClientFrame({ type: 'subscribe', sub: 1, stream: selector, mode: 'hot', credit: 1 }))).toBeUndefined();
    expect(codeOf(() => parseClientFrame({ type: 'read', id: 1, stream: selector }))).toBeUndefined();
    expect(codeOf(() => parseClientFrame({ type: 'append', id: 1, stream: selector, events: [{ type: 'T' }] }))).toBe('bad-frame');
    expect(codeOf(() => parseClientFrame({ type: 'surface', id: 1, stream: selector }))).toBe('bad-frame');
    expect(codeOf(() => parseClientFrame({ type: 'invalidate', id: 1, stream: selector, tx: 1 }))).toBe('bad-frame');
  });
});

describe('StartPosition', () => {
  it('accepts the seven forms', () => {
    for (const position of ['start', 'end', { after: 0 }, { after: 5 }, { at: 1 }, { before: 1 }, { event: 'e-1' }, { time: 0 }, { time: 1_700_000_000_000 }]) {
      expect(StartPosition.parse(position)).toStrictEqual(position);
    }
  });

  it('refuses other words, empty maps, two keys, unknown keys, and out-of-range numbers', () => {
    const bad = [
      'START',
      'head',
      '',
      null,
      5,
      {},
      { after: 1, at: 2 },
      { after: 1, extra: true },
      { after: -1 },
      { after: 0.5 },
      { at: 0 },
      { before: 0 },
      { event: '' },
      { event: 'e'.repeat(MAX_NAME_LENGTH + 1) },
      { time: -1 },
      { after: Number.MAX_SAFE_INTEGER + 1 },
    ];
    for (const position of bad) expect(StartPosition.safeParse(position).success, JSON.stringify(position)).toBe(false);
  });
});

describe('ExpectedVersion', () => {
  it('accepts any, none, exists and a non-negative integer', () => {
    for (const expected of ['any', 'none', 'exists', 0, 1, Number.MAX_SAFE_INTEGER]) {
      expect(ExpectedVersion.parse(expected)).toBe(expected);
    }
  });

  it('refuses other words, negative, fractional and numeric-string versions', () => {
    for (const expected of ['Any', 'some', '', '3', -1, 1.5, null, Number.MAX_SAFE_INTEGER + 1]) {
      expect(ExpectedVersion.safeParse(expected).success, String(expected)).toBe(false);
    }
  });
});

describe('events', () => {
  it('needs only a type as sent, and id, stream and positions as stored', () => {
    expect(EventInput.parse({ type: 'T' })).toStrictEqual({ type: 'T' });
    expect(StoredEvent.safeParse({ type: 'T', stream: 's', seq: 1, pos: 1, tx: 1, recorded: 0 }).success).toBe(false);
    expect(StoredEvent.safeParse({ id: 'e', type: 'T', stream: 's', seq: 1, pos: 1, tx: 1, recorded: 0 }).success).toBe(true);
  });

  it('keeps data, meta and details as sent, but drops unknown event fields', () => {
    const data = { anything: [1, { goes: null }], extra: 'kept' };
    const frame = parseClientFrame({
      type: 'append',
      id: 1,
      stream: 's',
      events: [{ type: 'T', data, meta: { a: 'b' }, unknown: 'dropped' }],
    });
    expect(frame).toStrictEqual({ type: 'append', id: 1, stream: 's', events: [{ type: 'T', data, meta: { a: 'b' } }] });
    const error = parseServerFrame({ type: 'error', code: 'internal', message: 'm', details: { any: { thing: 1 } } });
    expect(error).toStrictEqual({ type: 'error', code: 'internal', message: 'm', details: { any: { thing: 1 } } });
  });
});

describe('parseClientFrame and parseServerFrame', () => {
  it('drop unknown top-level fields', () => {
    expect(parseClientFrame({ type: 'info', id: 1, extra: true })).toStrictEqual({ type: 'info', id: 1 });
    expect(parseServerFrame({ type: 'complete', sub: 1, extra: true })).toStrictEqual({ type: 'complete', sub: 1 });
  });

  it('refuse a frame of the other side as unknown-frame, and say so', () => {
    expect(() => parseClientFrame({ type: 'welcome' })).toThrow(/a server does not receive "welcome" frames/);
    expect(() => parseServerFrame({ type: 'append' })).toThrow(/a client does not receive "append" frames/);
    expect(codeOf(() => parseClientFrame({ type: 'events', sub: 1, events: [] }))).toBe('unknown-frame');
  });

  it('refuse a value without a string type as bad-frame', () => {
    for (const value of [null, undefined, 1, 'ping', [], {}, { type: 1 }, { type: ['ping'] }]) {
      expect(codeOf(() => parseClientFrame(value)), JSON.stringify(value)).toBe('bad-frame');
    }
  });

  it('name the offending field in a bad-frame message, and cut long unknown types short', () => {
    expect(() =>
      parseClientFrame({ type: 'append', id: 1, stream: 's', events: [{ type: 'T', meta: { n: 1 } }] }),
    ).toThrow(/^bad "append" frame: events\.0\.meta\.n: /);
    expect(() => parseClientFrame({ type: 'x'.repeat(1000) })).toThrow(/^unknown frame type "x{64}"$/);
  });

  it('take a credit of zero or less as a valid frame (the session answers protocol, not bad-frame)', () => {
    expect(parseClientFrame({ type: 'credit', sub: 1, n: 0 })).toStrictEqual({ type: 'credit', sub: 1, n: 0 });
    expect(parseClientFrame({ type: 'credit', sub: 1, n: -5 })).toStrictEqual({ type: 'credit', sub: 1, n: -5 });
  });

  it('take a hot subscription from any position (the session, not the schema, refuses it)', () => {
    expect(codeOf(() => parseClientFrame({ type: 'subscribe', sub: 1, stream: 's', from: 'start', mode: 'hot', credit: 1 }))).toBeUndefined();
  });
});

describe('error codes', () => {
  it('accept every code of error-codes.ts in error and reject frames, and nothing else', () => {
    for (const code of ERROR_CODES) {
      expect(ErrorCodeSchema.parse(code)).toBe(code);
      expect(parseServerFrame({ type: 'reject', code, message: '', versions: [1] })).toMatchObject({ code });
    }
    expect(ErrorCodeSchema.safeParse('Bad-Frame').success).toBe(false);
  });

  it('take a code this version does not know in a received error or reject (SPEC 7: a later revision may add one)', () => {
    expect(parseServerFrame({ type: 'error', id: 3, code: 'some-future-code', message: 'm' })).toMatchObject({ code: 'some-future-code' });
    expect(parseServerFrame({ type: 'reject', code: 'some-future-code', message: '', versions: [1] })).toMatchObject({ code: 'some-future-code' });
    for (const code of ['', 'x'.repeat(257), 7]) {
      expect(() => parseServerFrame({ type: 'error', code, message: 'm' }), JSON.stringify(code)).toThrow();
    }
  });
});
