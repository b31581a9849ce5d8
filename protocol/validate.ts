import type * as z from 'zod/mini';
import { BadFrameError, RefusedFrameError, TauonError } from './errors.js';
import { MAX_DATA_DEPTH } from './data-limits.js';
import { msgpackProblem } from './msgpack-scan.js';
import { unpackWithMaps } from './msgpack-codec.js';
import { ClientFrame, FRAME_TYPES, ServerFrame, typeOfFrameSchema } from './frames.js';
import type { Codec } from './codec.js';
import { isPlainAckFrame } from './fast-ack-check.js';
import { isPlainAppendFrame } from './fast-append-check.js';
import { isPlainAppendedFrame } from './fast-appended-check.js';
import { isPlainDeliverFrame, isPlainEventsFrame } from './fast-events-check.js';
import { isPlainPageFrame } from './fast-page-check.js';
import { isPlainReadFrame } from './fast-read-check.js';

function typeOf(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
}

function parseWith<T>(schema: z.ZodMiniType<T>, value: unknown, side: string, allowed: readonly string[]): T {
  const type = typeOf(value);
  if (typeof type !== 'string') throw new BadFrameError('a frame is a map with a string "type"');
  if (!allowed.includes(type)) {
    if (FRAME_TYPES.includes(type)) {
      throw new TauonError('unknown-frame', `a ${side} does not receive "${type}" frames`);
    }
    throw new TauonError('unknown-frame', `unknown frame type "${type.slice(0, 64)}"`);
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue === undefined ? '' : issue.path.join('.');
    throw new BadFrameError(`bad "${type}" frame: ${where === '' ? '' : `${where}: `}${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

const clientTypes = ClientFrame.def.options.map(typeOfFrameSchema);
const serverTypes = ServerFrame.def.options.map(typeOfFrameSchema);

/** Validates a decoded value as a frame a client may send; throws a TauonError (`bad-frame`, `unknown-frame`). */
export function parseClientFrame(value: unknown): ClientFrame {
  if (isPlainAppendFrame(value) || isPlainAckFrame(value) || isPlainReadFrame(value)) return value;
  return parseWith(ClientFrame, value, 'server', clientTypes);
}

/** Validates a decoded value as a frame a server may send; throws a TauonError (`bad-frame`, `unknown-frame`). */
export function parseServerFrame(value: unknown): ServerFrame {
  if (isPlainEventsFrame(value) || isPlainAppendedFrame(value) || isPlainDeliverFrame(value) || isPlainPageFrame(value)) return value;
  return parseWith(ServerFrame, value, 'client', serverTypes);
}

/** Decodes bytes with a codec, turning a decoding failure into a `bad-frame` error. */
export function decodeFrame(codec: Codec, bytes: Uint8Array): unknown {
  try {
    return codec.decode(bytes);
  } catch (error) {
    throw new BadFrameError(`undecodable ${codec.name} frame`, error);
  }
}

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
