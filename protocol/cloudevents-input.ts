import { TauonError } from './errors.js';
import { EventInput, type StoredEvent } from './frames.js';
import {
  CLOUDEVENTS_MAPPED_ATTRIBUTES,
  CLOUDEVENTS_SPEC_VERSION,
  isCloudEventsAttributeName,
  parseCloudEventSource,
} from './cloudevents.js';

/*
 * CloudEvents into Tauon events (SPEC 5.10, "From a CloudEvent"): a CloudEvent a producer sends
 * becomes an event to append, and a CloudEvent Tauon made becomes the stored event again.
 * Runtime-neutral.
 */

/** The `meta` entry that keeps the `source` of an appended CloudEvent (SPEC 5.10). */
export const CLOUDEVENTS_SOURCE_META = 'cesource';
/** The `meta` entry that keeps a `subject` that differs from `partitionkey` (SPEC 5.10). */
export const CLOUDEVENTS_SUBJECT_META = 'cesubject';

/** The extensions that say where an event is in a store: the appending store assigns them anew. */
const PLACE_ATTRIBUTES: ReadonlySet<string> = new Set(['sequence', 'tauonpos', 'tauontx', 'tauonrecorded']);

/** RFC 3339 date-time (its `T` and `Z` in either case), with an offset, fraction optional. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** A JSON media type: `application/json`, `text/json`, or any `+json` suffix; parameters allowed. */
const JSON_MEDIA_TYPE = /^\s*(?:application\/json|text\/json|[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+\+json)\s*(?:;.*)?$/i;

/** The error for a CloudEvent that Tauon cannot take: `bad-frame` (HTTP 400), naming the attribute. */
export function badCloudEvent(attribute: string, why: string): TauonError {
  return new TauonError('bad-frame', `CloudEvent attribute "${attribute}" ${why}`, { details: { attribute } });
}

/** True when `contentType` names JSON (`application/json`, `text/json`, `*\/*+json`), parameters allowed. */
export function isJsonMediaType(contentType: string): boolean {
  return JSON_MEDIA_TYPE.test(contentType);
}

/**
 * Milliseconds since the epoch of an RFC 3339 timestamp; digits past the millisecond are cut.
 * @throws TauonError `bad-frame` naming `attribute` when `text` is not RFC 3339, or is before 1970.
 */
export function parseRfc3339(text: string, attribute: string): number {
  const match = RFC3339.exec(text);
  const ms = match === null ? Number.NaN : Date.parse(normalizedRfc3339(match));
  if (match === null || Number.isNaN(ms) || !isRealDate(match)) {
    throw badCloudEvent(attribute, `is not an RFC 3339 timestamp (such as 2023-11-14T22:13:20.000Z): ${JSON.stringify(text.slice(0, 64))}`);
  }
  if (ms < 0) throw badCloudEvent(attribute, `is before 1970-01-01T00:00:00Z, which Tauon times cannot hold: ${text}`);
  return ms;
}

/** The timestamp in the form Date.parse reads exactly: milliseconds, an offset. */
function normalizedRfc3339(match: RegExpExecArray): string {
  const [, year, month, day, hour, minute, second, fraction, offset] = match;
  const millis = (fraction ?? '.000').slice(1, 4).padEnd(3, '0');
  const zone = offset === 'z' || offset === 'Z' ? 'Z' : offset!;
  return `${year}-${month}-${day}T${hour}:${minute}:${second}.${millis}${zone}`;
}

/** True when the written day exists (Date.parse takes February 30th as March 2nd). */
function isRealDate(match: RegExpExecArray): boolean {
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** An optional attribute's value as a String: absent (undefined or JSON null), or a string, an integer or a boolean written as text. */
function stringAttribute(cloudEvent: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = cloudEvent[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || (typeof value === 'number' && Number.isInteger(value))) return String(value);
  throw badCloudEvent(name, `must be a String, an Integer or a Boolean, not ${Array.isArray(value) ? 'an array' : typeof value}`);
}

/** A required attribute: a non-empty String. */
function requiredString(cloudEvent: Readonly<Record<string, unknown>>, name: string): string {
  const value = cloudEvent[name];
  if (value === undefined || value === null) throw badCloudEvent(name, 'is required');
  if (typeof value !== 'string' || value === '') throw badCloudEvent(name, 'must be a non-empty String');
  return value;
}

/** The attributes every CloudEvent maps the same way, in and back: all but the event's place and `source`. */
function commonFields(cloudEvent: Readonly<Record<string, unknown>>): EventInput & { meta: Record<string, string> } {
  const id = requiredString(cloudEvent, 'id');
  const type = requiredString(cloudEvent, 'type');
  const specversion = cloudEvent['specversion'];
  if (specversion === undefined || specversion === null) throw badCloudEvent('specversion', 'is required');
  if (specversion !== CLOUDEVENTS_SPEC_VERSION) {
    throw badCloudEvent('specversion', `must be "1.0", the CloudEvents version Tauon speaks, not ${JSON.stringify(specversion)}`);
  }
  if (cloudEvent['data_base64'] !== undefined && cloudEvent['data_base64'] !== null) {
    throw badCloudEvent('data_base64', 'holds binary data, which Tauon events cannot carry over JSON (SPEC 5.10): send JSON data');
  }
  const contentType = stringAttribute(cloudEvent, 'datacontenttype');
  if (contentType !== undefined && !isJsonMediaType(contentType)) {
    throw badCloudEvent('datacontenttype', `is ${JSON.stringify(contentType.slice(0, 100))}: Tauon stores JSON data (application/json or a +json type)`);
  }
  const time = stringAttribute(cloudEvent, 'time');
  const dataschema = stringAttribute(cloudEvent, 'dataschema');
  const subject = stringAttribute(cloudEvent, 'subject');
  const key = stringAttribute(cloudEvent, 'partitionkey') ?? subject;
  const meta: Record<string, string> = {};
  for (const name of Object.keys(cloudEvent)) {
    if (CLOUDEVENTS_MAPPED_ATTRIBUTES.has(name)) continue;
    if (!isCloudEventsAttributeName(name)) {
      throw badCloudEvent(name.slice(0, 64), 'is not a CloudEvents attribute name (1 to 20 of a-z and 0-9)');
    }
    const value = stringAttribute(cloudEvent, name);
    if (value !== undefined) meta[name] = value;
  }
  if (subject !== undefined && subject !== key && meta[CLOUDEVENTS_SUBJECT_META] === undefined) meta[CLOUDEVENTS_SUBJECT_META] = subject;
  const fields: EventInput & { meta: Record<string, string> } = {
    id,
    type,
    meta,
  };
  if (key !== undefined) fields.key = key;
  if (cloudEvent['data'] !== undefined) fields.data = cloudEvent['data'];
  if (time !== undefined) fields.time = parseRfc3339(time, 'time');
  const schema = dataschema ?? stringAttribute(cloudEvent, 'tauonschema');
  if (schema !== undefined) fields.schema = schema;
  const causation = stringAttribute(cloudEvent, 'causationid');
  if (causation !== undefined) fields.causation = causation;
  const correlation = stringAttribute(cloudEvent, 'correlationid');
  if (correlation !== undefined) fields.correlation = correlation;
  return fields;
}

/**
 * A CloudEvent (JSON event format, or the attributes of binary mode with `data` parsed) as a
 * Tauon event to append (SPEC 5.10, "From a CloudEvent"): `id`, `type`, `time`, `dataschema`,
 * `causationid`, `correlationid` and `data` as the mapping says; `partitionkey` (else `subject`)
 * is the key; `source` is kept in `meta.cesource` (unless the event already carries a
 * `cesource`), a `subject` other than the key in `meta.cesubject`; the place extensions
 * (`sequence`, `tauonpos`, `tauontx`, `tauonrecorded`) are dropped, for the store assigns them;
 * every other extension becomes a `meta` entry of its name, its value as a String. The result is
 * then checked as any event of an `append` (lengths, `$` types).
 * @throws TauonError `bad-frame` whose `details.attribute` names the attribute: a required one
 *   absent, `specversion` not "1.0", a `time` that is not RFC 3339, data that is not JSON
 *   (`data_base64`, a `datacontenttype` that is not JSON), an attribute name or value that is not
 *   a CloudEvents one.
 */
export function cloudEventToEventInput(cloudEvent: Readonly<Record<string, unknown>>): EventInput {
  const source = requiredString(cloudEvent, 'source');
  const fields = commonFields(cloudEvent);
  for (const name of PLACE_ATTRIBUTES) delete fields.meta[name];
  fields.meta[CLOUDEVENTS_SOURCE_META] ??= source;
  const checked = EventInput.safeParse(fields);
  if (!checked.success) {
    // Named as the sender wrote it: the attribute the failing field came from.
    const issue = checked.error.issues[0]!;
    const attribute = attributeOf(cloudEvent, issue.path.map(String));
    throw badCloudEvent(attribute, `is not what a Tauon event takes (SPEC 5.2): ${issue.message}`);
  }
  return fields;
}

/** The CloudEvents attribute an EventInput field (a path of its schema's issue) was made from. */
function attributeOf(cloudEvent: Readonly<Record<string, unknown>>, path: readonly string[]): string {
  const present = (name: string) => cloudEvent[name] !== undefined && cloudEvent[name] !== null;
  const [field = '', entry] = path;
  switch (field) {
    case 'key':
      return present('partitionkey') ? 'partitionkey' : 'subject';
    case 'schema':
      return present('dataschema') ? 'dataschema' : 'tauonschema';
    case 'causation':
      return 'causationid';
    case 'correlation':
      return 'correlationid';
    case 'meta':
      if (entry === CLOUDEVENTS_SOURCE_META && !present(CLOUDEVENTS_SOURCE_META)) return 'source';
      if (entry === CLOUDEVENTS_SUBJECT_META && !present(CLOUDEVENTS_SUBJECT_META)) return 'subject';
      return entry ?? 'meta';
    default:
      return field;
  }
}

/** A place extension: a decimal integer of 1 to 2^53 - 1, without padding unless `padded`. */
function placeNumber(cloudEvent: Readonly<Record<string, unknown>>, name: string): number {
  const text = requiredString(cloudEvent, name);
  const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1) throw badCloudEvent(name, `must be a decimal integer from 1 to 2^53 - 1, not ${JSON.stringify(text.slice(0, 32))}`);
  return value;
}

/**
 * A CloudEvent that Tauon made (SPEC 5.10) as the stored event it maps: the inverse of
 * {@link toCloudEvent}, for consumers of the HTTP API's CloudEvents answers. What the mapping left
 * out (`meta` entries of names CloudEvents refuses, Strings it cannot hold) is not there to come
 * back.
 * @returns the stored event and the server id of its `source`.
 * @throws TauonError `bad-frame` naming the attribute when the CloudEvent is not one Tauon made:
 *   a `source` that is not `tauon:<server>/<stream>`, or a place extension missing or not a number.
 */
export function cloudEventToStoredEvent(cloudEvent: Readonly<Record<string, unknown>>): { readonly serverId: string; readonly event: StoredEvent } {
  const fields = commonFields(cloudEvent);
  const place = parseCloudEventSource(requiredString(cloudEvent, 'source'));
  if (place === undefined) throw badCloudEvent('source', 'is not a Tauon source (tauon:<server>/<stream>, percent-encoded)');
  for (const name of PLACE_ATTRIBUTES) delete fields.meta[name];
  const recorded = requiredString(cloudEvent, 'tauonrecorded');
  const { meta, ...rest } = fields;
  const event: StoredEvent = {
    ...rest,
    id: fields.id!,
    ...(Object.keys(meta).length > 0 ? { meta } : {}),
    stream: place.stream,
    seq: placeNumber(cloudEvent, 'sequence'),
    pos: placeNumber(cloudEvent, 'tauonpos'),
    tx: placeNumber(cloudEvent, 'tauontx'),
    recorded: parseRfc3339(recorded, 'tauonrecorded'),
  };
  return { serverId: place.serverId, event };
}
