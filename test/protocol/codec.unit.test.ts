import { describe, expect, it } from 'vitest';
import { codecByName, detectCodec, JSON_FIRST_BYTE } from '../../protocol/codec.js';
import { BadFrameError, TauonError } from '../../protocol/errors.js';
import { jsonCodec } from '../../protocol/json-codec.js';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';
import { decodeFrame, parseClientFrame } from '../../protocol/validate.js';

const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Frames of several shapes, each with nested data, for round trips through both codecs. */
const frames: Record<string, unknown>[] = [
  { type: 'hello', versions: [1], token: 't', client: 'test' },
  { type: 'ping' },
  {
    type: 'append',
    id: 3,
    stream: 'orders.42',
    events: [
      {
        id: 'e-1',
        type: 'OrderPlaced',
        key: 'order-42',
        data: { total: 12.5, lines: [{ sku: 'tea', qty: 2 }], note: null, gift: false, text: 'naïve 日本語 😀' },
        meta: { tenant: 'acme' },
        time: 1_700_000_000_000,
      },
    ],
    expected: 'none',
  },
  { type: 'subscribe', sub: 1, stream: '$all', from: { after: 9_007_199_254_740_991 }, mode: 'hot-cold', credit: 10 },
  { type: 'page', id: 1, events: [], next: null },
];

describe('detectCodec', () => {
  it('takes a first byte of "{" (0x7B) for JSON', () => {
    expect(JSON_FIRST_BYTE).toBe(0x7b);
    expect(detectCodec(utf8('{"type":"hello","versions":[1]}'))).toBe(jsonCodec);
    expect(detectCodec(Uint8Array.of(0x7b))).toBe(jsonCodec);
  });

  it('takes every other first byte for msgpack, maps included', () => {
    for (const first of [0x80, 0x82, 0x8f, 0xde, 0xdf, 0x00, 0x7a, 0x7c, 0xc1, 0xff]) {
      expect(detectCodec(Uint8Array.of(first, 0x00)), `first byte ${first.toString(16)}`).toBe(msgpackCodec);
    }
  });

  it('takes JSON that does not start with "{" (whitespace, a byte order mark, an array) for msgpack', () => {
    expect(detectCodec(utf8(' {"type":"ping"}'))).toBe(msgpackCodec);
    expect(detectCodec(utf8('\uFEFF{"type":"ping"}'))).toBe(msgpackCodec);
    expect(detectCodec(utf8('[{"type":"ping"}]'))).toBe(msgpackCodec);
  });

  it('takes no bytes at all for msgpack (which then cannot decode them)', () => {
    expect(detectCodec(new Uint8Array())).toBe(msgpackCodec);
    expect(() => decodeFrame(msgpackCodec, new Uint8Array())).toThrow(BadFrameError);
  });

  it('recognises what each codec writes', () => {
    for (const frame of frames) {
      expect(detectCodec(jsonCodec.encode(frame))).toBe(jsonCodec);
      expect(detectCodec(msgpackCodec.encode(frame))).toBe(msgpackCodec);
    }
  });
});

describe('codecByName', () => {
  it('names the two codecs and their content types', () => {
    expect(codecByName('json')).toBe(jsonCodec);
    expect(codecByName('msgpack')).toBe(msgpackCodec);
    expect([jsonCodec.name, jsonCodec.contentType]).toEqual(['json', 'application/json']);
    expect([msgpackCodec.name, msgpackCodec.contentType]).toEqual(['msgpack', 'application/msgpack']);
  });
});

describe.each([jsonCodec, msgpackCodec])('the $name codec', (codec) => {
  it.each(frames)('round-trips a $type frame', (frame) => {
    expect(codec.decode(codec.encode(frame))).toStrictEqual(frame);
  });

  it('round-trips integers up to 2^53 - 1 and below -2^32 exactly', () => {
    const value = { type: 'x', big: 9_007_199_254_740_991, epoch: 1_700_000_000_123, negative: -4_294_967_297, small: -1 };
    expect(codec.decode(codec.encode(value))).toStrictEqual(value);
  });

  it('round-trips text outside the Basic Multilingual Plane, combining marks and escapes', () => {
    const value = { type: 'x', text: '😀 e\u0301 שלום "quoted" \\ \n \u0000 \u001f' };
    expect(codec.decode(codec.encode(value))).toStrictEqual(value);
  });

  it('leaves undefined fields out, at the top and nested', () => {
    const withUndefined = {
      type: 'append',
      id: 1,
      stream: 's',
      events: [{ id: 'e', type: 'T', key: undefined, data: { a: 1, b: undefined } }],
      expected: undefined,
    };
    const without = { type: 'append', id: 1, stream: 's', events: [{ id: 'e', type: 'T', data: { a: 1 } }] };
    expect(toHex(codec.encode(withUndefined))).toBe(toHex(codec.encode(without)));
    const decoded = codec.decode(codec.encode(withUndefined)) as Record<string, unknown>;
    expect(Object.keys(decoded)).toEqual(['type', 'id', 'stream', 'events']);
    expect(decoded).toStrictEqual(without);
  });

  it('refuses bytes it cannot decode, and decodeFrame makes that a bad-frame error', () => {
    const bytes = codec === jsonCodec ? utf8('{"type":"pi') : fromHex('82 a4 74797065 a4 70696e67');
    expect(() => codec.decode(bytes)).toThrow();
    let caught: unknown;
    try {
      decodeFrame(codec, bytes);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BadFrameError);
    expect(caught).toBeInstanceOf(TauonError);
    expect((caught as TauonError).code).toBe('bad-frame');
    expect((caught as TauonError).name).toBe('BadFrameError');
    expect((caught as Error).cause).toBeDefined();
  });
});

describe('the JSON codec', () => {
  it('writes compact UTF-8 JSON starting with "{"', () => {
    const bytes = jsonCodec.encode({ type: 'ping', nonce: 1 });
    expect(new TextDecoder().decode(bytes)).toBe('{"type":"ping","nonce":1}');
    expect(bytes[0]).toBe(JSON_FIRST_BYTE);
    expect(toHex(jsonCodec.encode({ type: 'x', s: 'é' }))).toBe(toHex(utf8('{"type":"x","s":"é"}')));
  });

  it('refuses text that is not UTF-8', () => {
    expect(() => decodeFrame(jsonCodec, fromHex('7b 22 74 79 70 65 22 3a 22 ff 22 7d'))).toThrow(BadFrameError);
  });

  it('accepts whitespace inside a frame', () => {
    expect(parseClientFrame(decodeFrame(jsonCodec, utf8('{ "type" : "ping" ,\n "nonce" : 2 }')))).toEqual({ type: 'ping', nonce: 2 });
  });
});

describe('the msgpack codec', () => {
  it('writes plain maps, never msgpackr records: the same shape twice gives the same bytes', () => {
    const first = msgpackCodec.encode({ type: 'ping', nonce: 1 });
    const second = msgpackCodec.encode({ type: 'ping', nonce: 1 });
    expect(toHex(first)).toBe('82a474797065a470696e67a56e6f6e636501');
    expect(toHex(second)).toBe(toHex(first));
  });

  it('writes maps of 16 or more entries as map 16', () => {
    const wide: Record<string, number> = { type: 0 };
    for (let index = 0; index < 16; index += 1) wide[`k${index}`] = index;
    expect(toHex(msgpackCodec.encode(wide)).slice(0, 6)).toBe('de0011');
  });

  it('writes integers from 2^32 up as float 64, which reads back exactly', () => {
    expect(toHex(msgpackCodec.encode({ t: 4_294_967_295 }))).toBe('81a174ceffffffff');
    expect(toHex(msgpackCodec.encode({ t: 4_294_967_296 }))).toBe('81a174cb41f0000000000000');
    expect(msgpackCodec.decode(fromHex('81a174cb41f0000000000000'))).toStrictEqual({ t: 4_294_967_296 });
  });

  it('refuses trailing bytes after the frame', () => {
    expect(() => decodeFrame(msgpackCodec, fromHex('81a474797065a470696e67 c0'))).toThrow(BadFrameError);
  });

  // Other msgpack libraries choose other (wider) formats for the same values; a receiver takes them all.
  it('reads frames written with wider formats than msgpackr would choose', () => {
    // map 16 with str 8 keys and values, nonce as uint 8, versions as array 16 of uint 16.
    const ping = fromHex('de0002 d904 74797065 d904 70696e67 d9056e6f6e6365 cc05');
    expect(parseClientFrame(decodeFrame(msgpackCodec, ping))).toEqual({ type: 'ping', nonce: 5 });
    const hello = fromHex('df00000002 da0004 74797065 da0005 68656c6c6f a8 76657273696f6e73 dc0001 cd0001');
    expect(parseClientFrame(decodeFrame(msgpackCodec, hello))).toEqual({ type: 'hello', versions: [1] });
  });

  it('reads integers written as float 64 or float 32 with an integral value', () => {
    const float64 = fromHex('82 a474797065 a470696e67 a56e6f6e6365 cb4008000000000000');
    expect(parseClientFrame(decodeFrame(msgpackCodec, float64))).toEqual({ type: 'ping', nonce: 3 });
    const float32 = fromHex('82 a474797065 a470696e67 a56e6f6e6365 ca40400000');
    expect(parseClientFrame(decodeFrame(msgpackCodec, float32))).toEqual({ type: 'ping', nonce: 3 });
  });

  // KNOWN BUG, reported to the lead: msgpackr reads uint 64 / int 64 as BigInt by default, which
  // the schemas refuse, so a peer whose library writes large integers as uint 64 (Python's
  // msgpack, Go's) gets bad-frame for a valid `time` or position. SPEC.md requires receivers to
  // take every msgpack integer format. Fix: Unpackr option `int64AsType: 'auto'`; then turn this
  // `it.fails` into `it`.
  it('reads integers written as uint 64 and int 64 (SPEC.md: every integer format)', () => {
    const uint64 = fromHex('82 a474797065 a470696e67 a56e6f6e6365 cf0000018bcfe56800');
    expect(parseClientFrame(decodeFrame(msgpackCodec, uint64))).toEqual({ type: 'ping', nonce: 1_700_000_000_000 });
    const int64 = fromHex('82 a474797065 a470696e67 a56e6f6e6365 d30000000000000007');
    expect(parseClientFrame(decodeFrame(msgpackCodec, int64))).toEqual({ type: 'ping', nonce: 7 });
  });
});

describe('the JSON codec and data JSON cannot carry (SPEC 4.9)', () => {
  const event = (data: unknown, seq = 2) => ({ id: 'e', type: 'T', stream: 's', seq, pos: 40 + seq, tx: 1, recorded: 1, data });

  it('refuses binary, timestamps, bigints and numbers that are not finite with unrepresentable naming the first such event', () => {
    for (const value of [new Uint8Array([1]), Buffer.from([1]), new Date(5), 2n ** 60n, Number.NaN, Number.POSITIVE_INFINITY, new Map([['a', 1]])]) {
      for (const frame of [{ type: 'page', id: 1, events: [event(1, 1), event({ deep: [{ value }] }), event(value, 3)], next: null }, [event([value])]]) {
        let thrown: unknown;
        try {
          jsonCodec.encode(frame);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(TauonError);
        expect((thrown as TauonError).code).toBe('unrepresentable');
        expect((thrown as TauonError).details).toEqual({ stream: 's', seq: 2, pos: 42 });
      }
    }
  });

  it('encodes what JSON carries, a key __proto__ and an absent field included, and msgpack carries the rest', () => {
    const data = JSON.parse('{"__proto__":{"a":[1,2.5,"x",null,true,false]},"b":{}}') as unknown;
    expect(JSON.parse(new TextDecoder().decode(jsonCodec.encode({ type: 'events', sub: 1, events: [event(data)] })))).toEqual({ type: 'events', sub: 1, events: [event(data)] });
    expect(() => jsonCodec.encode({ type: 'events', sub: 1, events: [event({ a: undefined })] })).not.toThrow();
    const odd = { type: 'page', id: 1, events: [event({ b: new Uint8Array([1]), t: new Date(5), n: 2n ** 60n })], next: null };
    const back = (msgpackCodec.decode(msgpackCodec.encode(odd)) as { events: { data: { b: Uint8Array; t: Date; n: bigint } }[] }).events[0]!.data;
    expect([[...back.b], back.t.getTime(), back.n]).toEqual([[1], 5, 2n ** 60n]);
  });

  it('refuses a later JSON frame that starts with a byte order mark, and takes whitespace before {', () => {
    expect(() => decodeFrame(jsonCodec, new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('{"type":"ping"}')]))).toThrow(BadFrameError);
    expect(decodeFrame(jsonCodec, utf8(' \r\n\t{"type":"ping"} '))).toEqual({ type: 'ping' });
  });
});
