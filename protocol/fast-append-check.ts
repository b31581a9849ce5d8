import { MAX_NAME_LENGTH } from './frames.js';
import type { AppendFrame } from './frames.js';

/*
 * The `append` frame is most of what a server receives from a producer, and checking each of
 * its events with zod cost the write path more than the store's id lookups. Like the check of
 * `events` frames (fast-events-check.ts), this one accepts only frames zod accepts unchanged
 * (known fields, right types and bounds); anything else, including a frame zod would merely
 * strip of unknown fields, goes on to the schema, which has the last word and the error message.
 */

const FRAME_KEYS = new Set(['type', 'id', 'stream', 'events', 'expected', 'dedupe', 'newChain']);
const EVENT_KEYS = new Set(['id', 'type', 'key', 'data', 'meta', 'time', 'causation', 'correlation', 'schema']);
const MAX_SCHEMA_LENGTH = 1024;
const DOLLAR = 0x24;
const STAR = 0x2a;

/** True when `value` is an `append` frame that the schema would accept exactly as it is. */
export function isPlainAppendFrame(value: unknown): value is AppendFrame {
  if (!isRecord(value) || value['type'] !== 'append' || !isUint(value['id'])) return false;
  if (!onlyKeys(value, FRAME_KEYS) || !isStreamName(value['stream'])) return false;
  const { expected, dedupe, newChain } = value;
  if (expected !== undefined && expected !== 'any' && expected !== 'none' && expected !== 'exists' && !isUint(expected)) return false;
  if (dedupe !== undefined && typeof dedupe !== 'boolean') return false;
  if (newChain !== undefined && typeof newChain !== 'boolean') return false;
  const events = value['events'];
  if (!Array.isArray(events) || events.length === 0) return false;
  for (const event of events) if (!isPlainEventInput(event)) return false;
  return true;
}

function isPlainEventInput(event: unknown): boolean {
  if (!isRecord(event)) return false;
  for (const key in event) {
    if (!EVENT_KEYS.has(key)) return false;
    const field = event[key];
    switch (key) {
      case 'type':
        if (!isName(field)) return false;
        break;
      case 'id':
      case 'key':
      case 'causation':
      case 'correlation':
        if (field !== undefined && !isName(field)) return false;
        break;
      case 'time':
        if (field !== undefined && !isUint(field)) return false;
        break;
      case 'schema':
        if (field !== undefined && !(typeof field === 'string' && field.length >= 1 && field.length <= MAX_SCHEMA_LENGTH)) return false;
        break;
      case 'meta':
        if (field !== undefined && !isStringMap(field)) return false;
        break;
      default: // data: anything
    }
  }
  // The one required field, which a missing key would leave unchecked.
  return event['type'] !== undefined;
}

/** What StreamName accepts: a name without `*` that does not start with `$`. */
function isStreamName(value: unknown): boolean {
  if (!isName(value)) return false;
  const name = value as string;
  if (name.charCodeAt(0) === DOLLAR) return false;
  for (let index = 0; index < name.length; index += 1) if (name.charCodeAt(index) === STAR) return false;
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function onlyKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in value) if (!allowed.has(key)) return false;
  return true;
}

function isName(value: unknown): boolean {
  return typeof value === 'string' && value.length >= 1 && value.length <= MAX_NAME_LENGTH;
}

function isUint(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isStringMap(value: unknown): boolean {
  if (!isRecord(value)) return false;
  for (const key in value) if (typeof value[key] !== 'string') return false;
  return true;
}
