import { isName, isPlainEventList, isPositive, isRecord, isUint, onlyKeys } from './plain-values.js';
import type { EventsFrame } from './frames.js';

/*
 * The `events` frame is most of what a client receives, and checking each of its events with
 * zod cost a replaying client a fifth of its time. This check accepts only frames zod accepts
 * unchanged (known fields, right types and bounds); anything else, including a frame zod would
 * merely strip of unknown fields, goes on to the schema, which has the last word and the
 * error message.
 */

/** Fields every event must have. */
const STORED_EVENT_REQUIRED = ['id', 'type', 'stream', 'seq', 'pos', 'tx', 'recorded'];
const FRAME_KEYS = new Set(['type', 'sub', 'events']);

/** True when `value` is an `events` frame that the schema would accept exactly as it is. */
export function isPlainEventsFrame(value: unknown): value is EventsFrame {
  if (!isRecord(value) || value['type'] !== 'events' || !isUint(value['sub'])) return false;
  if (!onlyKeys(value, FRAME_KEYS)) return false;
  return isPlainEventList(value['events'], isStoredEventField, STORED_EVENT_REQUIRED);
}

/** The fields a stored event adds to the producer's. */
function isStoredEventField(key: string, field: unknown): boolean {
  switch (key) {
    case 'id':
    case 'type':
    case 'stream':
      return isName(field);
    case 'seq':
    case 'pos':
    case 'tx':
      return isPositive(field);
    case 'recorded':
      return isUint(field);
    default:
      return false;
  }
}
