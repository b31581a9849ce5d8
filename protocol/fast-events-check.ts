import { isName, isPlainEventList, isPositive, isRecord, isUint, onlyKeys, type OwnField } from './plain-values.js';
import type { DeliverFrame, EventsFrame } from './frames.js';

/*
 * The `events` frame is most of what a client receives, and checking each of its events with
 * zod cost a replaying client a fifth of its time. This check accepts only frames zod accepts
 * unchanged (known fields, right types and bounds); anything else, including a frame zod would
 * merely strip of unknown fields, goes on to the schema, which has the last word and the
 * error message.
 */

/** The fields a stored event adds to the producer's, every one required. */
export const STORED_EVENT_FIELDS = 7;
const FRAME_KEYS = new Set(['type', 'sub', 'events']);

/** True when `value` is an `events` frame that the schema would accept exactly as it is. */
export function isPlainEventsFrame(value: unknown): value is EventsFrame {
  if (!isRecord(value) || value['type'] !== 'events' || !isUint(value['sub'])) return false;
  if (!onlyKeys(value, FRAME_KEYS)) return false;
  return isPlainEventList(value['events'], storedEventField, STORED_EVENT_FIELDS);
}

const DELIVER_KEYS = new Set(['type', 'sub', 'part', 'gen', 'events', 'deliveries']);

/** True when `value` is a `deliver` frame (SPEC 17.8) that the schema would accept exactly as it is: what a group member receives most. */
export function isPlainDeliverFrame(value: unknown): value is DeliverFrame {
  if (!isRecord(value) || value['type'] !== 'deliver' || !isUint(value['sub']) || !isUint(value['part']) || !isPositive(value['gen'])) return false;
  if (!onlyKeys(value, DELIVER_KEYS)) return false;
  const deliveries = value['deliveries'];
  if (!Array.isArray(deliveries)) return false;
  for (const count of deliveries as unknown[]) if (!isPositive(count)) return false;
  return isPlainEventList(value['events'], storedEventField, STORED_EVENT_FIELDS);
}

/** The fields a stored event adds to the producer's (STORED_EVENT_FIELDS of them). */
export function storedEventField(key: string, field: unknown): OwnField {
  switch (key) {
    case 'id':
    case 'type':
    case 'stream':
      return isName(field) && 'required';
    case 'seq':
    case 'pos':
    case 'tx':
      return isPositive(field) && 'required';
    case 'recorded':
      return isUint(field) && 'required';
    default:
      return false;
  }
}
