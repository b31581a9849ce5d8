import { fnv1a32Bytes } from './partition-of.js';

/*
 * The partition of an event kept as its msgpack encoding (a map of the StoredEvent's fields, as
 * the stores' encoded reads hand it out), found without decoding it: the bytes of its `key`
 * string, or of its `stream` string when it has no key, are hashed as they are (FNV-1a is over
 * the UTF-8 bytes, which is what a msgpack str holds). Every other field is skipped.
 */

const KEY = new TextEncoder().encode('key');
const STREAM = new TextEncoder().encode('stream');

/**
 * The partition (of `partitions`) of the event encoded in `bytes[start, end)`: as
 * {@link partitionOf} gives for the decoded event. Throws on bytes that are not an event's map
 * with a `stream` string.
 */
export function partitionOfEncoded(bytes: Uint8Array, start: number, end: number, partitions: number): number {
  let at = start;
  const token = bytes[at++]!;
  let entries: number;
  if (token >= 0x80 && token <= 0x8f) entries = token & 0x0f;
  else if (token === 0xde) {
    entries = (bytes[at]! << 8) | bytes[at + 1]!;
    at += 2;
  } else if (token === 0xdf) {
    entries = readUint32(bytes, at);
    at += 4;
  } else throw new Error('an encoded event is not a msgpack map');
  let streamAt = -1;
  let streamEnd = -1;
  for (let entry = 0; entry < entries && at < end; entry += 1) {
    // The field's name: `key` and `stream` are all that matter here.
    const isKey = strAt(bytes, at) && sameBytes(bytes, KEY);
    const isStream = !isKey && strFrom >= 0 && sameBytes(bytes, STREAM);
    at = skipValue(bytes, at);
    if ((isKey || isStream) && strAt(bytes, at)) {
      if (isKey) return fnv1a32Bytes(bytes, strFrom, strTo) % partitions;
      streamAt = strFrom;
      streamEnd = strTo;
    }
    at = skipValue(bytes, at);
  }
  if (streamAt < 0) throw new Error('an encoded event has no stream');
  return fnv1a32Bytes(bytes, streamAt, streamEnd) % partitions;
}

/** Where the bytes of the str last found by {@link strAt} are (module state: no object per field). */
let strFrom = -1;
let strTo = -1;

/** True when the value at `at` is a str (nil, a key left out, is not), its bytes then at `strFrom` to `strTo`. */
function strAt(bytes: Uint8Array, at: number): boolean {
  const token = bytes[at]!;
  if (token >= 0xa0 && token <= 0xbf) {
    strFrom = at + 1;
    strTo = strFrom + (token & 0x1f);
  } else if (token === 0xd9) {
    strFrom = at + 2;
    strTo = strFrom + bytes[at + 1]!;
  } else if (token === 0xda) {
    strFrom = at + 3;
    strTo = strFrom + ((bytes[at + 1]! << 8) | bytes[at + 2]!);
  } else if (token === 0xdb) {
    strFrom = at + 5;
    strTo = strFrom + readUint32(bytes, at + 1);
  } else {
    strFrom = -1;
    strTo = -1;
    return false;
  }
  return true;
}

/** True when the str last found by {@link strAt} holds `expected`. */
function sameBytes(bytes: Uint8Array, expected: Uint8Array): boolean {
  if (strTo - strFrom !== expected.length) return false;
  for (let i = 0; i < expected.length; i += 1) if (bytes[strFrom + i] !== expected[i]) return false;
  return true;
}

/** Where the msgpack value at `at` ends (containers with a counter, not recursion). */
function skipValue(bytes: Uint8Array, at: number): number {
  let pending = 1;
  while (pending > 0) {
    pending -= 1;
    const token = bytes[at++]!;
    if (token <= 0x7f || token >= 0xe0) continue;
    if (token <= 0x8f) {
      pending += (token & 0x0f) * 2;
      continue;
    }
    if (token <= 0x9f) {
      pending += token & 0x0f;
      continue;
    }
    if (token <= 0xbf) {
      at += token & 0x1f;
      continue;
    }
    switch (token) {
      case 0xc0: case 0xc2: case 0xc3: break;
      case 0xc4: case 0xd9: at += 1 + bytes[at]!; break;
      case 0xc5: case 0xda: at += 2 + ((bytes[at]! << 8) | bytes[at + 1]!); break;
      case 0xc6: case 0xdb: at += 4 + readUint32(bytes, at); break;
      case 0xc7: at += 2 + bytes[at]!; break;
      case 0xc8: at += 3 + ((bytes[at]! << 8) | bytes[at + 1]!); break;
      case 0xc9: at += 5 + readUint32(bytes, at); break;
      case 0xca: case 0xce: case 0xd2: at += 4; break;
      case 0xcb: case 0xcf: case 0xd3: at += 8; break;
      case 0xcc: case 0xd0: at += 1; break;
      case 0xcd: case 0xd1: at += 2; break;
      case 0xd4: at += 2; break;
      case 0xd5: at += 3; break;
      case 0xd6: at += 5; break;
      case 0xd7: at += 9; break;
      case 0xd8: at += 17; break;
      case 0xdc: pending += (bytes[at]! << 8) | bytes[at + 1]!; at += 2; break;
      case 0xdd: pending += readUint32(bytes, at); at += 4; break;
      case 0xde: pending += ((bytes[at]! << 8) | bytes[at + 1]!) * 2; at += 2; break;
      case 0xdf: pending += readUint32(bytes, at) * 2; at += 4; break;
      default: throw new Error(`an encoded event holds msgpack byte 0x${token.toString(16)}`);
    }
  }
  return at;
}

function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) >>> 0) + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
}
