import { dataProblem } from './data-limits.js';
import { isName, isPlainEventList, isRecord, isUint, onlyKeys, type OwnField } from './plain-values.js';
import { MAX_CONDITION_KEYS, MAX_CONDITION_TYPES, type AppendFrame } from './frames.js';

/*
 * The `append` frame is most of what a server receives from a producer, and checking each of
 * its events with zod cost the write path more than the store's id lookups. Like the check of
 * `events` frames (fast-events-check.ts), this one accepts only frames zod accepts unchanged
 * (known fields, right types and bounds); anything else, including a frame zod would merely
 * strip of unknown fields, goes on to the schema, which has the last word and the error message.
 */

/** Of an event's own fields as sent, how many are required (its type). */
const EVENT_INPUT_REQUIRED = 1;
const FRAME_KEYS = new Set(['type', 'id', 'stream', 'events', 'expected', 'dedupe', 'newChain', 'condition']);
const CONDITION_KEYS = new Set(['stream', 'types', 'keys', 'after']);
const DOLLAR = 0x24;
const STAR = 0x2a;

/** True when `value` is an `append` frame that the schema would accept exactly as it is. */
export function isPlainAppendFrame(value: unknown): value is AppendFrame {
  if (!isRecord(value) || value['type'] !== 'append' || !isUint(value['id'])) return false;
  if (!onlyKeys(value, FRAME_KEYS) || !isStreamName(value['stream'])) return false;
  const { expected, dedupe, newChain, condition } = value;
  if (expected !== undefined && expected !== 'any' && expected !== 'none' && expected !== 'exists' && !isUint(expected)) return false;
  if (dedupe !== undefined && typeof dedupe !== 'boolean') return false;
  if (newChain !== undefined && typeof newChain !== 'boolean') return false;
  // An append without a condition pays one comparison for it.
  if (condition !== undefined && !isPlainCondition(condition)) return false;
  if (!isPlainEventList(value['events'], eventInputField, EVENT_INPUT_REQUIRED)) return false;
  // Data as it will be stored: within the depth limit, its strings well-formed (data-limits.ts).
  for (const event of value['events'] as { data?: unknown }[]) if (dataProblem(event.data) !== undefined) return false;
  return true;
}

/** Beside the producer's optional fields, an event as sent has its type and an optional id. */
function eventInputField(key: string, field: unknown): OwnField {
  if (key === 'type') return isName(field) && 'required';
  return key === 'id' && (field === undefined || isName(field)) && 'optional';
}

/** What AppendCondition accepts unchanged: a selector, 1 to 8 types, 1 to 100 keys if any, a uint. */
function isPlainCondition(value: unknown): boolean {
  if (!isRecord(value) || !onlyKeys(value, CONDITION_KEYS) || !isSelector(value['stream']) || !isUint(value['after'])) return false;
  const { types, keys } = value;
  return isNameList(types, MAX_CONDITION_TYPES) && (keys === undefined || isNameList(keys, MAX_CONDITION_KEYS));
}

function isNameList(value: unknown, most: number): boolean {
  return Array.isArray(value) && value.length >= 1 && value.length <= most && value.every(isName);
}

/** What StreamSelector accepts: a stream name, that name with one `*` at its end, `*` or `$all`. */
function isSelector(value: unknown): boolean {
  if (value === '$all' || value === '*') return true;
  if (!isName(value)) return false;
  const text = value as string;
  return text.endsWith('*') ? isStreamName(text.slice(0, -1)) : isStreamName(text);
}

/** What StreamName accepts: a name without `*` that does not start with `$`. */
function isStreamName(value: unknown): boolean {
  if (!isName(value)) return false;
  const name = value as string;
  if (name.charCodeAt(0) === DOLLAR) return false;
  for (let index = 0; index < name.length; index += 1) if (name.charCodeAt(index) === STAR) return false;
  return true;
}
