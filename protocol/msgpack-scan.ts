/*
 * A look at a msgpack frame's bytes before it is decoded. msgpackr decodes recursively, so a
 * frame nested a few thousand levels deep overflows the stack; and it reads a str that is not
 * UTF-8 (an encoded lone surrogate, stray bytes) as U+FFFD without a word, altering the data.
 * The scan walks the values with a counter stack of its own (no recursion) and checks the
 * bytes of every str. Runtime-neutral.
 */

/**
 * What the scan found wrong with a frame: too deep to decode safely, a str that is not UTF-8, or
 * an extension type other than msgpack's timestamp (msgpackr would decode its own into a Set, an
 * Error, a BigInt, undefined..., which come back altered or cannot be encoded again: SPEC 4.2).
 */
export type MsgpackProblem = 'too-deep' | 'not-utf8' | 'extension' | 'key-not-string' | 'undecodable';

/**
 * The first problem of the msgpack value in `bytes`, or undefined. Maps and arrays nested deeper
 * than `maxDepth` are `too-deep`; a str whose bytes are not UTF-8 (RFC 3629: no surrogates, no
 * overlong forms) is `not-utf8`; an ext value is `extension`. `too-deep` comes first, since the
 * others are found by decoding the frame (to name its request). Bytes that are not msgpack (the
 * never-used 0xc1, a value cut short) are `undecodable`; bytes left after the value are left to
 * the decoder, which refuses them.
 */
export function msgpackProblem(bytes: Uint8Array, maxDepth: number): MsgpackProblem | undefined {
  const end = bytes.length;
  // Items still to read in each open array, and in each open map as a negative count (a map of
  // n entries has -2n items): a map's next item is a key when an even number is left.
  const open: number[] = [];
  // Whether the next token is a map key (kept as a flag: a look at `open` per token costs more).
  let keyNext = false;
  let found: MsgpackProblem | undefined;
  let at = 0;
  while (at < end) {
    const token = bytes[at++]!;
    if (keyNext && !isStrToken(token)) found ??= 'key-not-string';
    let items = -1;
    let skip = 0;
    let text = -1;
    if (token <= 0x7f || token >= 0xe0) skip = 0;
    else if (token <= 0x8f) items = (token & 0x0f) * 2;
    else if (token <= 0x9f) items = token & 0x0f;
    else if (token <= 0xbf) text = token & 0x1f;
    else {
      switch (token) {
        case 0xc0: case 0xc2: case 0xc3: break;
        case 0xc4: skip = uint(bytes, at, 1) + 1; break;
        case 0xc5: skip = uint(bytes, at, 2) + 2; break;
        case 0xc6: skip = uint(bytes, at, 4) + 4; break;
        case 0xc7: skip = uint(bytes, at, 1) + 2; found ??= extensionAt(bytes, at + 1); break;
        case 0xc8: skip = uint(bytes, at, 2) + 3; found ??= extensionAt(bytes, at + 2); break;
        case 0xc9: skip = uint(bytes, at, 4) + 5; found ??= extensionAt(bytes, at + 4); break;
        case 0xca: skip = 4; break;
        case 0xcb: skip = 8; break;
        case 0xcc: case 0xd0: skip = 1; break;
        case 0xcd: case 0xd1: skip = 2; break;
        case 0xce: case 0xd2: skip = 4; break;
        case 0xcf: case 0xd3: skip = 8; break;
        case 0xd4: skip = 2; found ??= extensionAt(bytes, at); break;
        case 0xd5: skip = 3; found ??= extensionAt(bytes, at); break;
        case 0xd6: skip = 5; found ??= extensionAt(bytes, at); break;
        case 0xd7: skip = 9; found ??= extensionAt(bytes, at); break;
        case 0xd8: skip = 17; found ??= extensionAt(bytes, at); break;
        case 0xd9: text = uint(bytes, at, 1); at += 1; break;
        case 0xda: text = uint(bytes, at, 2); at += 2; break;
        case 0xdb: text = uint(bytes, at, 4); at += 4; break;
        case 0xdc: items = uint(bytes, at, 2); at += 2; break;
        case 0xdd: items = uint(bytes, at, 4); at += 4; break;
        case 0xde: items = uint(bytes, at, 2) * 2; at += 2; break;
        case 0xdf: items = uint(bytes, at, 4) * 2; at += 4; break;
        default: return 'undecodable'; // 0xc1 is never used (msgpackr would read it as undefined)
      }
    }
    if (text >= 0) {
      if (at + text > end) return 'undecodable';
      if (!isUtf8(bytes, at, at + text)) found ??= 'not-utf8';
      at += text;
    } else {
      at += skip;
    }
    if (at > end) return 'undecodable';
    if (items >= 0) {
      if (open.length + 1 > maxDepth) return 'too-deep';
      if (items > 0) {
        const isMap = token <= 0x8f ? token >= 0x80 : token >= 0xde;
        open.push(isMap ? -items : items);
        keyNext = isMap;
        continue;
      }
    }
    // A whole value was read: it is one item of the innermost open container, which may end with it.
    let depth = open.length;
    while (depth > 0) {
      const items = open[depth - 1]!;
      const left = items > 0 ? items - 1 : items + 1;
      if (left !== 0) {
        open[depth - 1] = left;
        keyNext = left < 0 && left % 2 === 0;
        break;
      }
      open.pop();
      depth -= 1;
    }
    if (depth === 0) return found;
  }
  // The bytes ended inside a map or an array.
  return 'undecodable';
}

/** True for the first byte of a msgpack str (fixstr, str 8, 16, 32). */
function isStrToken(token: number): boolean {
  return (token >= 0xa0 && token <= 0xbf) || token === 0xd9 || token === 0xda || token === 0xdb;
}

/** The msgpack timestamp (ext type -1, a Date) is msgpack's own and kept; any other extension is a problem. */
function extensionAt(bytes: Uint8Array, typeAt: number): MsgpackProblem | undefined {
  return bytes[typeAt] === TIMESTAMP_TYPE ? undefined : 'extension';
}

/** The ext type of msgpack's timestamp, -1, as its byte. */
const TIMESTAMP_TYPE = 0xff;

/** The big-endian unsigned integer of `size` bytes at `at` (0 past the end: the decoder refuses it). */
function uint(bytes: Uint8Array, at: number, size: number): number {
  let value = 0;
  for (let index = 0; index < size; index++) value = value * 256 + (bytes[at + index] ?? 0);
  return value;
}

/** True when bytes `start` to `end` are UTF-8 (RFC 3629). */
function isUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  let at = start;
  while (at < end) {
    const lead = bytes[at]!;
    if (lead < 0x80) {
      at += 1;
      continue;
    }
    let follow: number;
    // The second byte's range excludes overlong forms, surrogates (ED A0..BF) and code points above U+10FFFF.
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) follow = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      follow = 2;
      if (lead === 0xe0) low = 0xa0;
      else if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      follow = 3;
      if (lead === 0xf0) low = 0x90;
      else if (lead === 0xf4) high = 0x8f;
    } else return false;
    // A sequence cut short by the end of the str is not UTF-8.
    if (at + follow >= end) return false;
    const second = bytes[at + 1]!;
    if (second < low || second > high) return false;
    for (let index = 2; index <= follow; index++) {
      const next = bytes[at + index]!;
      if (next < 0x80 || next > 0xbf) return false;
    }
    at += follow + 1;
  }
  return true;
}
