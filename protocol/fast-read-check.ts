import type { ReadFrame } from './frames.js';
import { isName, isPositive, isRecord, isUint, onlyKeys } from './plain-values.js';

/*
 * Every command of an aggregate starts with a `read` of its stream: zod's check of it was a
 * twentieth of the server's time in the command cycle. Like the other fast checks, this one
 * accepts only frames zod accepts unchanged (a read of one stream, from the start, the end or
 * after a seq, without a filter); anything else goes on to the schema, which has the last word.
 */

const READ_KEYS = new Set(['type', 'id', 'stream', 'from', 'direction', 'limit']);

/** True when `value` is a `read` frame that the schema would accept exactly as it is. */
export function isPlainReadFrame(value: unknown): value is ReadFrame {
  if (!isRecord(value) || value['type'] !== 'read' || !isUint(value['id']) || !isStreamName(value['stream'])) return false;
  if (!onlyKeys(value, READ_KEYS)) return false;
  const { from, direction, limit } = value;
  // A field present as undefined (msgpackr can decode it) is left to the schema.
  if (limit === undefined ? 'limit' in value : !isPositive(limit)) return false;
  if (direction === undefined ? 'direction' in value : direction !== 'forward' && direction !== 'backward') return false;
  if (from === undefined) return !('from' in value);
  return from === 'start' || from === 'end' || isAfter(from);
}

/** What StreamName accepts: a name without "*" that does not start with "$". */
function isStreamName(value: unknown): boolean {
  return isName(value) && !(value as string).startsWith('$') && !(value as string).includes('*');
}

/** `{after: uint}` and nothing else. */
function isAfter(from: unknown): boolean {
  if (!isRecord(from) || !isUint(from['after'])) return false;
  for (const key in from) if (key !== 'after') return false;
  return true;
}
