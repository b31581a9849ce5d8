import type { IncomingMessage, IncomingHttpHeaders, ServerResponse } from 'node:http';
import { cloudEventToEventInput, badCloudEvent, isJsonMediaType } from '../protocol/cloudevents-input.js';
import { CLOUDEVENTS_BATCH_JSON, CLOUDEVENTS_JSON, toCloudEvent } from '../protocol/cloudevents.js';
import { TauonError } from '../protocol/errors.js';
import type { EventInput, ServerFrame } from '../protocol/frames.js';
import { readBody } from './http-body.js';
import { UnsupportedMediaTypeError } from './http-doors.js';

/*
 * The CloudEvents HTTP binding (HTTP Protocol Binding 1.0, JSON event format 1.0) on the HTTP
 * API's events routes. POST takes structured, binary and batch mode; GET answers in structured
 * or batch mode when the Accept header asks. Every request it takes has made a browser of
 * another origin ask first (a preflight): the CloudEvents media types and `ce-*` headers are not
 * CORS-safelisted, so binary mode needs `ce-specversion` and refuses the safelisted types.
 */

/** How a POST carries its CloudEvents: one in the body, several, or one in `ce-*` headers. */
type RequestMode = 'structured' | 'batch' | 'binary';

/** How a GET answers in CloudEvents: one event, or the page as a batch. */
export type CloudEventsAnswerMode = 'structured' | 'batch';

/** A body's media type, lower case, parameters dropped; undefined without a Content-Type. */
function mediaTypeOf(headers: IncomingHttpHeaders): string | undefined {
  return headers['content-type']?.split(';', 1)[0]!.trim().toLowerCase();
}

/** The CloudEvents mode of a POST by its Content-Type and headers; undefined for the plain JSON route. */
function requestMode(headers: IncomingHttpHeaders): RequestMode | undefined {
  const mediaType = mediaTypeOf(headers);
  if (mediaType === CLOUDEVENTS_JSON) return 'structured';
  if (mediaType === CLOUDEVENTS_BATCH_JSON) return 'batch';
  if (headers['ce-specversion'] !== undefined) return 'binary';
  // Other ce-* headers without ce-specversion: binary mode that does not say its version.
  if (Object.keys(headers).some((name) => name.startsWith('ce-'))) {
    throw badCloudEvent('specversion', 'is required: a binary-mode request carries the ce-specversion header');
  }
  return undefined;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** JSON in UTF-8; bytes that are not UTF-8 are refused, never stored as U+FFFD. */
function parseJson(body: Buffer, what: string, attribute: string): unknown {
  try {
    return JSON.parse(UTF8.decode(body));
  } catch (error) {
    throw new TauonError('bad-frame', `${what} is not JSON in UTF-8`, { details: { attribute }, cause: error });
  }
}

/**
 * A `ce-*` header's value, percent-decoded as the HTTP binding has it (3.1.3.2): the header's
 * bytes with `%XX` escapes turned to bytes, read as UTF-8.
 */
function headerValue(name: string, value: string): string {
  const bytes: number[] = [];
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code === 0x25) {
      const hex = value.slice(index + 1, index + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw badCloudEvent(name, `(header ce-${name}) has a "%" that does not start a percent-escape`);
      bytes.push(parseInt(hex, 16));
      index += 2;
    } else {
      // Node reads header bytes as Latin-1: one character per byte.
      bytes.push(code & 0xff);
    }
  }
  try {
    return UTF8.decode(new Uint8Array(bytes));
  } catch {
    throw badCloudEvent(name, `(header ce-${name}) is not percent-encoded UTF-8`);
  }
}

/** A binary-mode request as a CloudEvent: attributes from `ce-*` headers, data from the body. */
function binaryCloudEvent(headers: IncomingHttpHeaders, body: Buffer): Record<string, unknown> {
  const cloudEvent: Record<string, unknown> = {};
  for (const [header, value] of Object.entries(headers)) {
    if (!header.startsWith('ce-') || value === undefined) continue;
    const name = header.slice(3);
    if (name === 'data' || name === 'data_base64' || name === 'datacontenttype') {
      throw badCloudEvent(name, `cannot come as a header (ce-${name}): data is the body, its content type the Content-Type`);
    }
    cloudEvent[name] = headerValue(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const contentType = headers['content-type'];
  if (body.byteLength > 0 || contentType !== undefined) {
    // The data's type is the body's: JSON only, and never a CORS-safelisted type.
    if (contentType === undefined || !isJsonMediaType(contentType)) {
      throw new UnsupportedMediaTypeError(contentType, 'application/json (or a +json type) for the data of a binary-mode CloudEvent');
    }
    cloudEvent['datacontenttype'] = contentType;
    if (body.byteLength > 0) cloudEvent['data'] = parseJson(body, 'the body of a binary-mode CloudEvent', 'data');
  }
  return cloudEvent;
}

/** A JSON value that must be a map: one CloudEvent in the JSON event format. */
function asCloudEvent(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TauonError('bad-frame', `${where} is not a CloudEvent: a JSON object is expected`);
  }
  return value as Record<string, unknown>;
}

/** Names the batch member in a CloudEvent error, so that the sender finds it. */
function inBatch<T>(index: number, map: () => T): T {
  try {
    return map();
  } catch (error) {
    if (!(error instanceof TauonError)) throw error;
    throw new TauonError(error.code, `batch event ${index}: ${error.message}`, { details: { ...error.details, index }, cause: error });
  }
}

/**
 * The events a POST to `/streams/{stream}/events` carries as CloudEvents, mapped by SPEC 5.10;
 * undefined when the request is not CloudEvents (the plain JSON route then reads it).
 * @throws TauonError `bad-frame` (400) naming the attribute; `too-large` (413) past maxBytes;
 *   UnsupportedMediaTypeError (415) for binary-mode data that is not JSON.
 */
export async function readCloudEvents(request: IncomingMessage, maxBytes: number): Promise<EventInput[] | undefined> {
  const mode = requestMode(request.headers);
  if (mode === undefined) {
    // Not CloudEvents: the plain route takes JSON only; say what else this route takes.
    const contentType = request.headers['content-type'];
    if (mediaTypeOf(request.headers) === 'application/json') return undefined;
    throw new UnsupportedMediaTypeError(contentType, `application/json, ${CLOUDEVENTS_JSON} or ${CLOUDEVENTS_BATCH_JSON} (or a CloudEvent in binary mode: ce-specversion and the other ce-* headers)`);
  }
  const body = await readBody(request, maxBytes);
  if (mode === 'binary') return [cloudEventToEventInput(binaryCloudEvent(request.headers, body))];
  const parsed = parseJson(body, `the ${mode === 'batch' ? 'batch' : 'CloudEvent'} body`, mode === 'batch' ? 'batch' : 'data');
  if (mode === 'structured') return [cloudEventToEventInput(asCloudEvent(parsed, 'the body'))];
  if (!Array.isArray(parsed) || parsed.length === 0) throw new TauonError('bad-frame', 'a CloudEvents batch is a JSON array of one CloudEvent or more');
  return parsed.map((member, index) => inBatch(index, () => cloudEventToEventInput(asCloudEvent(member, `batch event ${index}`))));
}

/**
 * The CloudEvents mode a GET's Accept header asks for: the acceptable media range of highest
 * quality (the first listed among equals) that names a type the route answers; undefined for
 * plain JSON (no Accept, `application/json`, a wildcard, or no CloudEvents type).
 */
export function cloudEventsAnswerMode(accept: string | undefined): CloudEventsAnswerMode | undefined {
  if (accept === undefined) return undefined;
  const ranges = accept.split(',').map((range, order) => {
    const [type = '', ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    const quality = parameters.find((parameter) => parameter.startsWith('q='));
    return { type, quality: quality === undefined ? 1 : Number(quality.slice(2)), order };
  });
  const best = ranges
    .filter(({ type, quality }) => quality > 0 && [CLOUDEVENTS_BATCH_JSON, CLOUDEVENTS_JSON, 'application/json', 'application/*', '*/*'].includes(type))
    .sort((a, b) => b.quality - a.quality || a.order - b.order)[0];
  if (best?.type === CLOUDEVENTS_BATCH_JSON) return 'batch';
  if (best?.type === CLOUDEVENTS_JSON) return 'structured';
  return undefined;
}

/** An answer with its own media type and headers, which the HTTP API sends as it is. */
export class CloudEventsAnswer {
  constructor(
    readonly status: number,
    readonly headers: Readonly<Record<string, string>>,
    readonly body: string,
  ) {}

  /** Writes the answer. */
  send(response: ServerResponse): void {
    response.writeHead(this.status, { ...this.headers, 'content-length': Buffer.byteLength(this.body) });
    response.end(this.body);
  }
}

/** `next` as the `from` parameter that reads on (`after:N`, `before:N`). */
function fromParameter(next: unknown): string | undefined {
  if (typeof next !== 'object' || next === null) return undefined;
  const [kind, position] = Object.entries(next)[0] ?? [];
  return kind === undefined ? undefined : `${kind}:${String(position)}`;
}

/**
 * Reads a page for a GET that asked for CloudEvents, and answers it: batch mode, a JSON array
 * of the page's events as CloudEvents (`application/cloudevents-batch+json`, possibly `[]`);
 * structured mode, one event (`application/cloudevents+json`; the read takes `limit` 1, and any
 * other `limit` is refused), or 204 when there is none. Where the next page starts, `next` of the
 * `page` frame, is the `Tauon-Next` header as a `from` value (`after:N`, `before:N`), with a
 * `Link` header (`rel="next"`) to the URL that reads it; both are absent when `next` is null.
 * @param read the `read` frame the route's parameters make
 * @param ask runs a frame as the session (permissions, limits) and resolves with its answer
 * @throws TauonError as the read does; `unrepresentable` (406) for an event without a CloudEvents form
 */
export async function answerCloudEventsRead(
  mode: CloudEventsAnswerMode,
  read: Record<string, unknown>,
  url: URL,
  serverId: string,
  ask: (frame: Record<string, unknown>) => Promise<ServerFrame>,
): Promise<CloudEventsAnswer> {
  if (mode === 'structured') {
    if (read['limit'] !== undefined && read['limit'] !== 1) {
      throw new TauonError('bad-frame', 'a structured-mode answer (Accept: application/cloudevents+json) carries one event: send limit=1, or accept application/cloudevents-batch+json', { details: { limit: read['limit'] } });
    }
    read = { ...read, limit: 1 };
  }
  const page = await ask(read);
  if (page.type !== 'page') throw new TauonError('internal', `a read was answered ${page.type}`);
  const cloudEvents = page.events.map((event) => toCloudEvent(event, serverId));
  const headers: Record<string, string> = {};
  const from = fromParameter(page.next);
  if (from !== undefined) {
    const nextQuery = new URLSearchParams(url.searchParams);
    nextQuery.set('from', from);
    headers['tauon-next'] = from;
    headers['link'] = `<${url.pathname}?${nextQuery.toString()}>; rel="next"`;
  }
  if (mode === 'batch') return new CloudEventsAnswer(200, { ...headers, 'content-type': CLOUDEVENTS_BATCH_JSON }, JSON.stringify(cloudEvents));
  const [first] = cloudEvents;
  if (first === undefined) return new CloudEventsAnswer(204, headers, '');
  return new CloudEventsAnswer(200, { ...headers, 'content-type': CLOUDEVENTS_JSON }, JSON.stringify(first));
}
