import { TauonError } from './errors.js';
import type { StoredEvent } from './frames.js';
import { isJsonRepresentable } from './json-representable.js';

/*
 * The CloudEvents mapping of SPEC 5.10: a stored event as a CloudEvents 1.0 event in the JSON
 * event format, and the percent-encoded `source` that names its stream. Runtime-neutral.
 */

/** The CloudEvents version the mapping produces and accepts. */
export const CLOUDEVENTS_SPEC_VERSION = '1.0';

/** The media type of one CloudEvent in the JSON event format (structured mode). */
export const CLOUDEVENTS_JSON = 'application/cloudevents+json';

/** The media type of a batch of CloudEvents in the JSON event format (batch mode). */
export const CLOUDEVENTS_BATCH_JSON = 'application/cloudevents-batch+json';

/**
 * The attribute names the mapping gives a meaning (SPEC 5.10's table): a `meta` entry of one of
 * these names is left out, and on the way back none of them is taken as a `meta` entry.
 */
export const CLOUDEVENTS_MAPPED_ATTRIBUTES: ReadonlySet<string> = new Set([
  'specversion', 'id', 'source', 'type', 'time', 'subject', 'datacontenttype', 'dataschema', 'data', 'data_base64',
  'sequence', 'partitionkey', 'tauonpos', 'tauontx', 'tauonrecorded', 'tauonschema', 'causationid', 'correlationid',
]);

/** A stored event as a CloudEvent in the JSON event format (SPEC 5.10): every value a String but `data`. */
export interface TauonCloudEvent {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly time?: string;
  readonly subject?: string;
  readonly datacontenttype?: 'application/json';
  readonly dataschema?: string;
  readonly data?: unknown;
  readonly sequence: string;
  readonly partitionkey?: string;
  readonly tauonpos: string;
  readonly tauontx: string;
  readonly tauonrecorded: string;
  readonly tauonschema?: string;
  readonly causationid?: string;
  readonly correlationid?: string;
  /** One extension per `meta` entry whose name is a valid attribute name. */
  readonly [extension: string]: unknown;
}

/** A CloudEvents attribute name: lowercase ASCII letters and digits, at most 20 (SPEC 5.10, "Names"). */
const ATTRIBUTE_NAME = /^[a-z0-9]{1,20}$/;
/** What a CloudEvents String may not hold: control characters (Cc) and noncharacters. */
const NOT_IN_A_STRING = /[\p{Cc}\p{Noncharacter_Code_Point}]/u;
/** A path character of RFC 3986 (pchar), a percent-escape whole. */
const PCHAR = "(?:[A-Za-z0-9\\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})";
/** A host as a registered name or IPv4 address; IP literals (`[...]`) are not taken, to stay on the safe side. */
const HOST = "(?:[A-Za-z0-9\\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*";
const USER_INFO = "(?:[A-Za-z0-9\\-._~!$&'()*+,;=:]|%[0-9A-Fa-f]{2})*@";
const HIER_PART = `(?://(?:${USER_INFO})?${HOST}(?::\\d*)?(?:/${PCHAR}*)*|/(?:${PCHAR}+(?:/${PCHAR}*)*)?|${PCHAR}+(?:/${PCHAR}*)*)?`;
/**
 * An absolute URI (RFC 3986, 4.3: scheme, hier-part, query, no fragment), by its grammar, as the
 * SDK's JSON schema checks `dataschema` (format `uri`), or stricter.
 */
const ABSOLUTE_URI = new RegExp(`^[A-Za-z][A-Za-z0-9+.-]*:${HIER_PART}(?:\\?(?:${PCHAR}|[/?])*)?$`);
/** The last millisecond RFC 3339 can write: its years have four digits. */
const LAST_RFC3339_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** 16 digits hold 2^53 - 1, the largest `seq`: zero padding to 16 makes string order numeric order. */
const SEQUENCE_DIGITS = 16;

/** True when `text` may be a CloudEvents String: no control character, no noncharacter (SPEC 5.10, "Strings"). */
export function isCloudEventsString(text: string): boolean {
  return !NOT_IN_A_STRING.test(text);
}

/** True when `name` is a CloudEvents attribute name the mapping may use: 1 to 20 of `a`-`z`, `0`-`9`. */
export function isCloudEventsAttributeName(name: string): boolean {
  return ATTRIBUTE_NAME.test(name);
}

/** True when `uri` is an absolute URI (a scheme, no fragment), as `dataschema` must be. */
export function isAbsoluteUri(uri: string): boolean {
  return ABSOLUTE_URI.test(uri);
}

/**
 * A time in milliseconds since the epoch as RFC 3339 in UTC with milliseconds (SPEC 4.7), or
 * undefined past 9999-12-31T23:59:59.999Z, which RFC 3339 cannot write. The same text as
 * `Date.prototype.toISOString`, by arithmetic: several times faster, and a page maps two per event.
 */
export function rfc3339(ms: number): string | undefined {
  if (ms > LAST_RFC3339_MS) return undefined;
  const days = Math.floor(ms / 86_400_000);
  const inDay = ms - days * 86_400_000;
  // Days to a civil date (H. Hinnant's algorithm), with eras of 400 years from 0000-03-01.
  const shifted = days + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const two = (value: number) => (value < 10 ? `0${value}` : String(value));
  const hours = Math.floor(inDay / 3_600_000);
  const minutes = Math.floor(inDay / 60_000) % 60;
  const seconds = Math.floor(inDay / 1000) % 60;
  const millis = inDay % 1000;
  return `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T${two(hours)}:${two(minutes)}:${two(seconds)}.${String(millis).padStart(3, '0')}Z`;
}

/**
 * One part of a `source` percent-encoded (SPEC 5.10): every UTF-8 byte that is not an unreserved
 * character of RFC 3986 as `%XX`, and a part that is `.` or `..` with its dots as `%2E`.
 */
function encodeSourcePart(part: string): string {
  if (part === '.' || part === '..') return part.replaceAll('.', '%2E');
  // encodeURIComponent keeps five characters RFC 3986 reserves (sub-delims): encode them too.
  return encodeURIComponent(part).replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The CloudEvents `source` of a stream's events: `tauon:<server>/<stream>`, both percent-encoded
 * (SPEC 5.10). `cloudEventSource('tauon-1', 'café.订单')` is `tauon:tauon-1/caf%C3%A9.%E8%AE%A2%E5%8D%95`.
 */
export function cloudEventSource(serverId: string, stream: string): string {
  return `tauon:${encodeSourcePart(serverId)}/${encodeSourcePart(stream)}`;
}

/**
 * The server id and stream a Tauon `source` names, or undefined when `source` is not one
 * (another scheme, not two parts, or bad percent-encoding).
 */
export function parseCloudEventSource(source: string): { readonly serverId: string; readonly stream: string } | undefined {
  const match = /^tauon:([^/]+)\/([^/]+)$/.exec(source);
  if (match === null) return undefined;
  try {
    return { serverId: decodeURIComponent(match[1]!), stream: decodeURIComponent(match[2]!) };
  } catch {
    return undefined;
  }
}

/** The `sequence` extension of a `seq`: decimal, zero-padded to 16 digits (SPEC 5.10). */
export function cloudEventSequence(seq: number): string {
  return String(seq).padStart(SEQUENCE_DIGITS, '0');
}

/** The error for a stored event that has no CloudEvents form: `unrepresentable`, naming the event. */
function notMappable(event: StoredEvent, why: string): TauonError {
  return new TauonError('unrepresentable', `the event at ${event.stream} seq ${event.seq} has no CloudEvents form: ${why}`, {
    details: { stream: event.stream, seq: event.seq, pos: event.pos },
  });
}

/**
 * A stored event as a CloudEvents 1.0 event in the JSON event format, by the mapping of SPEC
 * 5.10. `serverId` is the server's id (`welcome.server`), the producer part of `source`.
 * Optional String attributes a CloudEvents String cannot hold, and `meta` entries whose name is
 * not an attribute name or is one of the mapping's, are left out.
 * @throws TauonError `unrepresentable` (details `{stream, seq, pos}`) when the event has no
 *   CloudEvents form: its `id` or `type` holds a control character or a noncharacter, or its
 *   `data` is what JSON cannot carry (binary, a msgpack timestamp, an integer beyond 2^53 - 1).
 */
export function toCloudEvent(event: StoredEvent, serverId: string): TauonCloudEvent {
  if (!isCloudEventsString(event.id)) throw notMappable(event, 'its id holds a control character or a noncharacter');
  if (!isCloudEventsString(event.type)) throw notMappable(event, 'its type holds a control character or a noncharacter');
  if (!isJsonRepresentable(event.data)) throw notMappable(event, 'its data is not what JSON carries (SPEC 4.9)');
  const recorded = rfc3339(event.recorded);
  if (recorded === undefined) throw notMappable(event, 'its recorded time is past the year 9999');
  const optional = (value: string | undefined): string | undefined =>
    value !== undefined && isCloudEventsString(value) ? value : undefined;
  const key = optional(event.key);
  const schemaIsUri = event.schema !== undefined && isAbsoluteUri(event.schema);
  // Built in the table's order, an attribute only when its source is present (no undefined keys).
  const cloudEvent: Record<string, unknown> = {
    specversion: CLOUDEVENTS_SPEC_VERSION,
    id: event.id,
    source: cloudEventSource(serverId, event.stream),
    type: event.type,
  };
  const time = event.time === undefined ? undefined : rfc3339(event.time);
  if (time !== undefined) cloudEvent['time'] = time;
  if (key !== undefined) cloudEvent['subject'] = key;
  if (event.data !== undefined) cloudEvent['datacontenttype'] = 'application/json';
  if (schemaIsUri) cloudEvent['dataschema'] = event.schema;
  if (event.data !== undefined) cloudEvent['data'] = event.data;
  cloudEvent['sequence'] = cloudEventSequence(event.seq);
  if (key !== undefined) cloudEvent['partitionkey'] = key;
  cloudEvent['tauonpos'] = String(event.pos);
  cloudEvent['tauontx'] = String(event.tx);
  cloudEvent['tauonrecorded'] = recorded;
  const otherSchema = schemaIsUri ? undefined : optional(event.schema);
  if (otherSchema !== undefined) cloudEvent['tauonschema'] = otherSchema;
  const causation = optional(event.causation);
  if (causation !== undefined) cloudEvent['causationid'] = causation;
  const correlation = optional(event.correlation);
  if (correlation !== undefined) cloudEvent['correlationid'] = correlation;
  const meta: Record<string, string> = event.meta ?? {};
  for (const name in meta) {
    const value = meta[name]!;
    if (isCloudEventsAttributeName(name) && !CLOUDEVENTS_MAPPED_ATTRIBUTES.has(name) && isCloudEventsString(value)) {
      cloudEvent[name] = value;
    }
  }
  return cloudEvent as TauonCloudEvent;
}
