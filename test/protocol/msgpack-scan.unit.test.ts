import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';
import { msgpackProblem } from '../../protocol/msgpack-scan.js';

/** A msgpack str 8 holding exactly these bytes. */
function str(bytes: readonly number[]): Uint8Array {
  return new Uint8Array([0xd9, bytes.length, ...bytes]);
}

/** A small deterministic generator. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('msgpackProblem', () => {
  it('agrees with a fatal UTF-8 decoder on the bytes of a str', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true });
    const next = random(15);
    const interesting = [0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xa0, 0xed, 0x9f, 0xef, 0xf0, 0x90, 0xf4, 0x8f, 0xf5, 0xff];
    for (let round = 0; round < 5000; round++) {
      const bytes = Array.from({ length: 1 + Math.floor(next() * 6) }, () => interesting[Math.floor(next() * interesting.length)]!);
      let utf8 = true;
      try {
        fatal.decode(new Uint8Array(bytes));
      } catch {
        utf8 = false;
      }
      expect(msgpackProblem(str(bytes), 10), bytes.map((byte) => byte.toString(16)).join(' ')).toBe(utf8 ? undefined : 'not-utf8');
    }
  });

  it('finds encoded lone surrogates in keys and values, and passes pairs', () => {
    expect(msgpackProblem(msgpackCodec.encode({ a: 'x\ud800' }), 10)).toBe('not-utf8');
    expect(msgpackProblem(msgpackCodec.encode({ ['\udc00']: 1 }), 10)).toBe('not-utf8');
    expect(msgpackProblem(msgpackCodec.encode({ a: ['\ud83d\ude00', 'é', '€'] }), 10)).toBeUndefined();
  });

  it('counts nesting of maps and arrays, empty ones included, past every scalar type', () => {
    const scalars = [null, true, 1, -1, 300, -300, 70000, 2 ** 40, -(2 ** 40), 1.5, 'text', 'x'.repeat(300), new Uint8Array(3), new Date(5)];
    const value = { a: scalars, b: { c: [[[]]] } };
    const bytes = msgpackCodec.encode(value);
    expect(msgpackProblem(bytes, 5)).toBeUndefined();
    expect(msgpackProblem(bytes, 4)).toBe('too-deep');
    const deep = new Uint8Array(100_001).fill(0x91);
    deep[100_000] = 0xc0;
    expect(msgpackProblem(deep, 1000)).toBe('too-deep');
  });

  it('finds extension types, but for the msgpack timestamp (a Date), wherever they are', () => {
    const date = msgpackCodec.encode({ a: [new Date(5), new Date(2 ** 40), new Date(-5)] });
    expect(msgpackProblem(date, 10)).toBeUndefined();
    // msgpackr's own: undefined (fixext 1, type 0), a BigInt past 64 bits, a Set.
    const packr = new Packr({ useRecords: false, moreTypes: true, useBigIntExtension: true });
    for (const value of [undefined, 2n ** 70n, new Set([1])]) {
      expect(msgpackProblem(packr.pack({ type: 'append', data: { value } }), 10)).toBe('extension');
    }
    // An ext 8 of type 7, after a str that is not UTF-8: the first problem found is reported.
    expect(msgpackProblem(new Uint8Array([0x92, 0xc7, 0x01, 0x07, 0x00, 0xa1, 0xff]), 10)).toBe('extension');
    // Deeper than allowed wins over an extension, wherever it is.
    expect(msgpackProblem(new Uint8Array([0x92, 0xd4, 0x00, 0x00, 0x91, 0x91, 0xc0]), 2)).toBe('too-deep');
  });

  it('finds bytes that are not msgpack undecodable: 0xc1 (which msgpackr reads as undefined) and values cut short', () => {
    expect(msgpackProblem(new Uint8Array([0xc1]), 10)).toBe('undecodable');
    expect(msgpackProblem(new Uint8Array([0x81, 0xa1, 0x61, 0xc1]), 10)).toBe('undecodable');
    expect(msgpackProblem(new Uint8Array([0x82, 0xa1]), 10)).toBe('undecodable');
    expect(msgpackProblem(new Uint8Array([0xd9, 0x05, 0x41]), 10)).toBe('undecodable');
    expect(msgpackProblem(new Uint8Array([0x92, 0x01]), 10)).toBe('undecodable');
  });

  it('finds map keys that are not strs, at any depth, but not str keys nor array items', () => {
    const packr = new Packr({ useRecords: false, mapsAsObjects: false });
    for (const key of [1, -1, 1.5, true, null, [1], new Map([['a', 1]]), new Uint8Array([1])]) {
      expect(msgpackProblem(packr.pack(new Map<unknown, unknown>([['type', 'x'], [key, 1]])), 10)).toBe('key-not-string');
      expect(msgpackProblem(packr.pack({ type: 'x', data: [1, { a: new Map<unknown, unknown>([[key, 'v']]) }] }), 10)).toBe('key-not-string');
    }
    expect(msgpackProblem(packr.pack({ type: 'x', data: [1, true, null, { a: [{ b: 2 }] }], n: 5 }), 10)).toBeUndefined();
  });
});
