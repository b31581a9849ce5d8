// The server's decoding of what clients send: msgpack is scanned before it is decoded, so this
// module needs msgpackr. It lives apart from validate.ts, which the client imports, so that a
// browser bundle carries msgpackr only when the page chooses msgpack.
import { BadFrameError, RefusedFrameError } from './errors.js';
import type { Codec } from './codec.js';
import { MAX_DATA_DEPTH } from './data-limits.js';
import { msgpackProblem } from './msgpack-scan.js';
import { unpackWithMaps } from './msgpack-codec.js';
import { decodeFrame } from './validate.js';

/**
 * The deepest a client frame may nest and still be decoded: deeper ones are refused unread,
 * since the decoder recurses (msgpackr overflows the stack at a few thousand levels). Between
 * the data limit (plus the frame, `events` and event around it) and this, a frame is decoded and
 * refused by its schema, naming its request.
 */
export const MAX_DECODED_DEPTH = 1000;

/**
 * Decodes a frame a client sent, as {@link decodeFrame} does, and refuses msgpack that nests
 * deeper than {@link MAX_DECODED_DEPTH}, holds a str that is not UTF-8 (which the decoder would
 * silently read as U+FFFD), a map key that is not a str (which it would turn into a string) or
 * an extension type with a {@link RefusedFrameError}. JSON text is checked as UTF-8 by its
 * codec and parsed without recursion; its strings are checked by the schemas.
 * @throws BadFrameError when the bytes do not decode; RefusedFrameError as said.
 */
export function decodeClientFrame(codec: Codec, bytes: Uint8Array): unknown {
  if (codec.name !== 'msgpack') return decodeFrame(codec, bytes);
  const problem = msgpackProblem(bytes, MAX_DECODED_DEPTH);
  if (problem === 'too-deep') {
    throw new RefusedFrameError(`frame nested deeper than ${MAX_DECODED_DEPTH} levels (event data may nest ${MAX_DATA_DEPTH})`, undefined);
  }
  if (problem === 'undecodable') throw new BadFrameError('undecodable msgpack frame: bytes that are not msgpack, or a value cut short');
  // Before decoding: a key that is itself a map or an array does not decode as a plain object.
  if (problem === 'key-not-string') throw new RefusedFrameError('a map key of the frame is not a string (SPEC 4.1, 4.9)', fieldsOfMap(bytes));
  const value = decodeFrame(codec, bytes);
  if (problem === 'not-utf8') throw new RefusedFrameError('a string of the frame is not UTF-8', value);
  if (problem === 'extension') throw new RefusedFrameError('the frame holds a msgpack extension type, which version 1 does not carry (SPEC 4.2)', value);
  return value;
}

/**
 * The string-keyed fields of a msgpack frame whose maps may have keys of any type (to name its
 * request in the error), or undefined when it is not a map or does not decode.
 */
function fieldsOfMap(bytes: Uint8Array): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = unpackWithMaps(bytes);
  } catch {
    return undefined;
  }
  if (!(value instanceof Map)) return undefined;
  const fields: Record<string, unknown> = {};
  for (const [key, field] of value as Map<unknown, unknown>) if (typeof key === 'string' && key !== '__proto__') fields[key] = field;
  return fields;
}
