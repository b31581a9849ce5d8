import type * as z from 'zod/mini';
import { BadFrameError, TauonError } from './errors.js';
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
