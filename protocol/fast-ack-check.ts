import type { AckFrame } from './frames.js';
import { isPositive, isRecord, isUint, onlyKeys } from './plain-values.js';

/*
 * A group member sends an `ack` frame for every few events it processes, listing their
 * positions; checking each position with zod cost a server as much as a twentieth of a group's
 * delivery. Like the other fast checks, this one accepts only frames zod accepts unchanged;
 * anything else goes on to the schema, which has the last word and the error message.
 */

const ACK_KEYS = new Set(['type', 'sub', 'part', 'gen', 'pos', 'upTo']);
/** The most positions one `ack` lists (AckFrame). */
const MAX_POSITIONS = 10_000;

/** True when `value` is an `ack` frame that the schema would accept exactly as it is. */
export function isPlainAckFrame(value: unknown): value is AckFrame {
  if (!isRecord(value) || value['type'] !== 'ack' || !isUint(value['sub']) || !isUint(value['part']) || !isPositive(value['gen'])) return false;
  if (!onlyKeys(value, ACK_KEYS)) return false;
  const { pos, upTo } = value;
  // A field present as undefined (msgpackr can decode it) is left to the schema.
  if (upTo === undefined ? 'upTo' in value : !isPositive(upTo)) return false;
  if (pos === undefined) return !('pos' in value);
  if (!Array.isArray(pos) || pos.length === 0 || pos.length > MAX_POSITIONS) return false;
  for (const position of pos as unknown[]) if (!isPositive(position)) return false;
  return true;
}
