import type { z } from 'zod';
import { BadFrameError, RefusedFrameError, TauonError } from './errors.js';
import { MAX_DATA_DEPTH } from './data-limits.js';
import { msgpackProblem } from './msgpack-scan.js';
import { ClientFrame, FRAME_TYPES, ServerFrame } from './frames.js';
import type { Codec } from './codec.js';
import { isPlainAppendFrame } from './fast-append-check.js';
import { isPlainAppendedFrame } from './fast-appended-check.js';
import { isPlainEventsFrame } from './fast-events-check.js';

function typeOf(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, side: string, allowed: readonly string[]): T {
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

const clientTypes = ClientFrame.options.map((option) => option.shape.type.value as string);
const serverTypes = ServerFrame.options.map((option) => option.shape.type.value as string);

/** Validates a decoded value as a frame a client may send; throws a TauonError (`bad-frame`, `unknown-frame`). */
export function parseClientFrame(value: unknown): ClientFrame {
  if (isPlainAppendFrame(value)) return value;
  return parseWith(ClientFrame, value, 'server', clientTypes);
}

/** Validates a decoded value as a frame a server may send; throws a TauonError (`bad-frame`, `unknown-frame`). */
export function parseServerFrame(value: unknown): ServerFrame {
  if (isPlainEventsFrame(value) || isPlainAppendedFrame(value)) return value;
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
 * silently read as U+FFFD) or an extension type, and JSON with a number past the double range, with a
 * {@link RefusedFrameError}. JSON text is checked as UTF-8 by its
 * codec and parsed without recursion; its strings are checked by the schemas.
 * @throws BadFrameError when the bytes do not decode; RefusedFrameError as said.
 */
export function decodeClientFrame(codec: Codec, bytes: Uint8Array): unknown {
  if (codec.name !== 'msgpack') {
    const value = decodeFrame(codec, bytes);
    // JSON.parse reads a number past the double range (1e400) as Infinity, which JSON cannot write
    // back (it would be delivered as null): refused. Looked for only when the text has such a number.
    if (mayHoldHugeNumber(bytes) && holdsNonFinite(value)) throw new RefusedFrameError('a number of the frame is beyond the range of a double', value);
    return value;
  }
  const problem = msgpackProblem(bytes, MAX_DECODED_DEPTH);
  if (problem === 'too-deep') {
    throw new RefusedFrameError(`frame nested deeper than ${MAX_DECODED_DEPTH} levels (event data may nest ${MAX_DATA_DEPTH})`, undefined);
  }
  const value = decodeFrame(codec, bytes);
  if (problem === 'not-utf8') throw new RefusedFrameError('a string of the frame is not UTF-8', value);
  if (problem === 'extension') throw new RefusedFrameError('the frame holds a msgpack extension type, which version 1 does not carry (SPEC 4.2)', value);
  return value;
}

/**
 * True when JSON text may hold a number past the double range: an exponent of three digits or
 * more, or a run of more than 308 digits. A byte loop, cheaper than walking every parsed value.
 */
function mayHoldHugeNumber(bytes: Uint8Array): boolean {
  let digits = 0;
  for (let at = 0; at < bytes.length; at++) {
    const byte = bytes[at]!;
    if (byte >= 0x30 && byte <= 0x39) {
      if (++digits > 308) return true;
      continue;
    }
    digits = 0;
    if ((byte === 0x65 || byte === 0x45) && at > 0) {
      let next = at + 1;
      if (bytes[next] === 0x2b || bytes[next] === 0x2d) next++;
      let exponent = 0;
      while (bytes[next + exponent] !== undefined && bytes[next + exponent]! >= 0x30 && bytes[next + exponent]! <= 0x39) exponent++;
      if (exponent >= 3) return true;
    }
  }
  return false;
}

/** True when a number in `value` is not finite; without recursion (JSON may nest a million deep). */
function holdsNonFinite(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'number' && !Number.isFinite(next)) return true;
    if (typeof next === 'object' && next !== null) for (const key of Object.keys(next)) pending.push((next as Record<string, unknown>)[key]);
  }
  return false;
}
