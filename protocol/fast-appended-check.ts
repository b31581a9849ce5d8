import { isName, isPositive, isRecord, isUint, onlyKeys } from './plain-values.js';
import type { AppendedFrame } from './frames.js';

/*
 * Every acknowledged emit passes through an `appended` frame, whose seqs and positions zod
 * checked one number at a time. Like the other fast checks (fast-events-check.ts), this one
 * accepts only frames zod accepts unchanged; anything else goes on to the schema.
 */

const FRAME_KEYS = new Set(['type', 'id', 'stream', 'tx', 'seqs', 'positions', 'dups']);

/** True when `value` is an `appended` frame that the schema would accept exactly as it is. */
export function isPlainAppendedFrame(value: unknown): value is AppendedFrame {
  if (!isRecord(value) || value['type'] !== 'appended' || !isUint(value['id'])) return false;
  if (!onlyKeys(value, FRAME_KEYS) || !isName(value['stream']) || !isPositive(value['tx'])) return false;
  const { seqs, positions, dups } = value;
  if (!isArrayOf(seqs, isPositive) || !isArrayOf(positions, isPositive)) return false;
  return dups === undefined || isArrayOf(dups, isUint);
}

function isArrayOf(value: unknown, check: (item: unknown) => boolean): boolean {
  if (!Array.isArray(value)) return false;
  for (const item of value) if (!check(item)) return false;
  return true;
}
