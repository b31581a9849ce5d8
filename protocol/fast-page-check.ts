import { isPlainEventList, isPositive, isRecord, isUint, onlyKeys } from './plain-values.js';
import { STORED_EVENT_FIELDS, storedEventField } from './fast-events-check.js';
import type { PageFrame } from './frames.js';

/*
 * Every read's answer is a `page` frame (an aggregate's load is one), and zod checked each of
 * its events field by field: with the command cycle, the client's largest cost after msgpack.
 * Like the other fast checks (fast-events-check.ts), this one accepts only frames zod accepts
 * unchanged; anything else goes on to the schema, which has the last word.
 */

const FRAME_KEYS = new Set(['type', 'id', 'events', 'next']);

/** True when `value` is a `page` frame that the schema would accept exactly as it is. */
export function isPlainPageFrame(value: unknown): value is PageFrame {
  if (!isRecord(value) || value['type'] !== 'page' || !isUint(value['id'])) return false;
  if (!onlyKeys(value, FRAME_KEYS) || !isPlainNext(value['next'])) return false;
  const events = value['events'];
  if (!Array.isArray(events)) return false;
  return events.length === 0 || isPlainEventList(events, storedEventField, STORED_EVENT_FIELDS);
}

/** What a page's `next` is as servers send it: null, `{after}` or `{before}` (other start positions go to the schema). */
function isPlainNext(next: unknown): boolean {
  if (next === null) return true;
  if (!isRecord(next)) return false;
  let keys = 0;
  for (const key in next) {
    keys += 1;
    if (key === 'after' ? !isUint(next[key]) : key === 'before' ? !isPositive(next[key]) : true) return false;
  }
  return keys === 1;
}
