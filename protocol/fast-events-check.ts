import { MAX_NAME_LENGTH } from './frames.js';
import type { EventsFrame } from './frames.js';

/*
 * The `events` frame is most of what a client receives, and checking each of its events with
 * zod cost a replaying client a fifth of its time. This check accepts only frames zod accepts
 * unchanged (known fields, right types and bounds); anything else, including a frame zod would
 * merely strip of unknown fields, goes on to the schema, which has the last word and the
 * error message.
 */

const FRAME_KEYS = new Set(['type', 'sub', 'events']);
const EVENT_KEYS = new Set(['id', 'type', 'key', 'data', 'meta', 'time', 'causation', 'correlation', 'schema', 'stream', 'seq', 'pos', 'tx', 'recorded']);
const MAX_SCHEMA_LENGTH = 1024;

/** True when `value` is an `events` frame that the schema would accept exactly as it is. */
export function isPlainEventsFrame(value: unknown): value is EventsFrame {
  if (!isRecord(value) || value['type'] !== 'events' || !isUint(value['sub'])) return false;
  if (!onlyKeys(value, FRAME_KEYS)) return false;
  const events = value['events'];
  if (!Array.isArray(events) || events.length === 0) return false;
  for (const event of events) if (!isPlainStoredEvent(event)) return false;
  return true;
}

function isPlainStoredEvent(event: unknown): boolean {
  if (!isRecord(event)) return false;
  for (const key in event) {
    if (!EVENT_KEYS.has(key)) return false;
    const field = event[key];
    switch (key) {
      case 'id':
      case 'type':
      case 'stream':
        if (!isName(field)) return false;
        break;
      case 'key':
      case 'causation':
      case 'correlation':
        if (field !== undefined && !isName(field)) return false;
        break;
      case 'seq':
      case 'pos':
      case 'tx':
        if (!isUint(field) || field === 0) return false;
        break;
      case 'recorded':
        if (!isUint(field)) return false;
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
  // Required fields that a missing key would leave unchecked.
  return event['id'] !== undefined && event['type'] !== undefined && event['stream'] !== undefined &&
    event['seq'] !== undefined && event['pos'] !== undefined && event['tx'] !== undefined && event['recorded'] !== undefined;
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
