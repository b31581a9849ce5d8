import type { IncomingMessage, ServerResponse } from 'node:http';
import { TauonError } from '../protocol/errors.js';
import { assertEventsJsonRepresentable } from '../protocol/json-representable.js';
import type { ClientFrame, ServerFrame } from '../protocol/frames.js';
import { parseClientFrame } from '../protocol/validate.js';
import type { Permissions } from './auth/permissions.js';
import { readBody } from './http-body.js';
import { HttpDoors, httpStatusOf, requireJsonBody, type HttpApiOptions } from './http-doors.js';
import { answerCloudEventsRead, cloudEventsAnswerMode, CloudEventsAnswer, readCloudEvents } from './http-cloudevents.js';
import { groupRoute } from './http-groups.js';
import { metricsAnswer, TextAnswer } from './http-metrics.js';
import { answerProjectionRoute } from './http-projections.js';
import { answerUiRequest, type HttpUiOptions } from './http-ui.js';
import type { TauonServer } from './server.js';

/**
 * The HTTP API: the request frames of the protocol as JSON over HTTP, answered by the same
 * engine. Routes (stream names URL-encoded):
 *
 * - `GET /health`: `{"ok":true}`
 * - `GET /info`: the `server-info` frame
 * - `GET /metrics`: the server's metrics, in the Prometheus text format (docs/observability.md)
 * - `GET /streams?prefix=&after=&limit=`: the `stream-list` frame
 * - `GET /streams/{selector}/events?from=&direction=&limit=&types=&keys=`: a `page`
 *   (`from`: start, end, or a number meaning "at"; `after:N`, `before:N`, `event:ID`, `time:MS`)
 * - `POST /streams/{stream}/events?expected=&dedupe=&condition=`: body one event or an array; the
 *   `appended` frame (`condition`: an append condition as JSON, SPEC 5.8.1)
 * - Both events routes speak the CloudEvents HTTP binding too (SPEC 5.10; see {@link readCloudEvents},
 *   {@link answerCloudEventsRead}): structured, binary and batch mode in, structured and batch out
 * - `GET /streams/{stream}/surface`: a `page` of the newest event of each key
 * - `GET /groups`, `GET /groups/{name}`, `POST /groups/{name}/replay-parked`: consumer groups
 *   (see `groupRoute` in http-groups.ts); 501 `unsupported` when the store keeps none
 * - `GET /projections`, `GET /projections/{name}[/{key}]?atLeast=&timeoutMs=`, `POST
 *   /projections/{name}/rebuild`: server-side projections (see `answerProjectionRoute` in http-projections.ts)
 *
 * Errors answer `{"error":{"code","message","details"}}` with a status for the code; an internal
 * error with `internal error, id ID`, the full error in the server's log (TauonServerOptions.errorLog).
 * When the server authenticates, requests need `Authorization: Bearer <token>` (401 without a good one),
 * and each route is checked against what the token grants, as the frame it stands for is in a
 * session (403 `forbidden` naming the permission and the stream or selector). POST bodies must
 * be sent as `Content-Type: application/json` (else 415). Browser pages of other origins than
 * `options.allowOrigins` are refused (403), allowed ones get CORS answers; on loopback, a Host
 * header that is not a loopback name nor in `options.allowHosts` is refused (421).
 *
 * Unless `options.ui` is false, it also serves the web view (docs/web-view.md): `GET /ui` and its
 * files, and `GET /` redirecting there (see {@link answerUiRequest}).
 *
 * @throws TypeError when an entry of `options.allowOrigins` is not an origin.
 */
export function createHttpApi(
  server: TauonServer,
  options: HttpApiOptions & HttpUiOptions = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  const doors = new HttpDoors(options);
  const ui = options.ui !== false;
  return (request, response) => {
    if (!doors.admit(request, response)) return;
    if (ui && answerUiRequest(request, response)) return;
    handle(server, request).then(
      (answered) => (answered instanceof CloudEventsAnswer ? answered.send(response) : reply(response, answered[0], answered[1])),
      (error: unknown) => {
        const tauon = server.internalErrors.expose(error, `HTTP ${request.method ?? 'GET'} ${(request.url ?? '/').split('?', 1)[0]!}`);
        reply(response, httpStatusOf(tauon), {
          error: { code: tauon.code, message: tauon.message, ...(tauon.details ? { details: tauon.details } : {}) },
        });
      },
    );
  };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });


async function handle(server: TauonServer, request: IncomingMessage): Promise<[number, unknown] | CloudEventsAnswer> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const parts = url.pathname.split('/').filter((part) => part !== '').map(decodePathPart);
  const method = request.method ?? 'GET';
  if (method === 'GET' && parts.length === 1 && parts[0] === 'health') return [200, { ok: true }];
  const header = request.headers.authorization;
  const token = header?.startsWith('Bearer ') === true ? header.slice(7) : undefined;
  const { permissions } = await server.authenticateToken(token);
  const query = url.searchParams;
  if (method === 'GET' && parts.length === 1 && parts[0] === 'info') return answer(server, { type: 'info', id: 0 }, permissions);
  if (method === 'GET' && parts.length === 1 && parts[0] === 'metrics') return [200, await metricsAnswer(server)];
  if (parts[0] === 'groups') {
    const route = groupRoute(method, parts.slice(1));
    // A POST without a body still declares JSON: a page of another origin must ask first (a preflight).
    if (method === 'POST') await readJson(request, server.limits.maxFrameBytes, { emptyAllowed: true });
    return [200, route.body(await ask(server, route.frame, permissions))];
  }
  if (parts[0] === 'projections') {
    // As for groups: a POST declares JSON, so that a page of another origin must ask first.
    if (method === 'POST') await readJson(request, server.limits.maxFrameBytes, { emptyAllowed: true });
    return answerProjectionRoute(server.projections, method, parts.slice(1), query, permissions);
  }
  if (parts[0] !== 'streams') throw new TauonError('not-found', `no route ${method} ${url.pathname}`);
  if (method === 'GET' && parts.length === 1) {
    return answer(server, {
      type: 'streams',
      id: 0,
      prefix: query.get('prefix') ?? undefined,
      after: query.get('after') ?? undefined,
      limit: numberParam(query, 'limit'),
    }, permissions);
  }
  const stream = parts[1];
  if (parts.length === 3 && parts[2] === 'events' && method === 'GET') {
    const read = {
      type: 'read',
      id: 0,
      stream,
      from: startParam(query.get('from')),
      direction: query.get('direction') ?? undefined,
      limit: numberParam(query, 'limit'),
      filter: filterParam(query),
    };
    const cloudEventsMode = cloudEventsAnswerMode(request.headers.accept);
    if (cloudEventsMode === undefined) return answer(server, read, permissions);
    return answerCloudEventsRead(cloudEventsMode, read, url, server.serverId, (frame) => ask(server, frame, permissions));
  }
  if (parts.length === 3 && parts[2] === 'events' && method === 'POST') {
    // A body is one append: the server's frame limit holds for it as for a frame.
    const body = (await readCloudEvents(request, server.limits.maxFrameBytes)) ?? (await readJson(request, server.limits.maxFrameBytes));
    const expected = query.get('expected');
    return answer(server, {
      type: 'append',
      id: 0,
      stream,
      events: Array.isArray(body) ? body : [body],
      expected: expected === null ? undefined : /^\d+$/.test(expected) ? Number(expected) : expected,
      dedupe: query.get('dedupe') === 'true' ? true : undefined,
      condition: conditionParam(query.get('condition')),
    }, permissions);
  }
  if (parts.length === 3 && parts[2] === 'surface' && method === 'GET') {
    return answer(server, { type: 'surface', id: 0, stream }, permissions);
  }
  throw new TauonError('not-found', `no route ${method} ${url.pathname}`);
}

/** Validates the request as the protocol frame it stands for, then lets the engine answer it. */
async function answer(server: TauonServer, candidate: Record<string, unknown>, permissions: Permissions): Promise<[number, unknown]> {
  const result = await ask(server, candidate, permissions);
  const { id: _id, ...body } = result as ServerFrame & { id?: number };
  return [result.type === 'appended' ? 201 : 200, body];
}

/** Validates the request as the protocol frame it stands for; resolves with the engine's answer, or throws its error. */
async function ask(server: TauonServer, candidate: Record<string, unknown>, permissions: Permissions): Promise<ServerFrame> {
  const frame: ClientFrame = parseClientFrame(candidate);
  const result: ServerFrame = await server.request(frame, permissions);
  if (result.type === 'error') {
    throw new TauonError(result.code, result.message, { details: result.details });
  }
  // A JSON answer never alters what JSON cannot carry: unrepresentable (406) names the event.
  if (result.type === 'page') assertEventsJsonRepresentable(result.events);
  return result;
}

/** A path segment decoded; bad percent-encoding (or bytes that are not UTF-8) is the client's error: 400. */
function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch (error) {
    throw new TauonError('bad-frame', `the path segment "${part.slice(0, 64)}" is not percent-encoded UTF-8`, { cause: error });
  }
}

function numberParam(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  return text === null ? undefined : Number(text);
}

function filterParam(query: URLSearchParams): { types?: string[]; keys?: string[] } | undefined {
  const types = query.get('types')?.split(',');
  const keys = query.get('keys')?.split(',');
  if (types === undefined && keys === undefined) return undefined;
  return { ...(types ? { types } : {}), ...(keys ? { keys } : {}) };
}

/** Parses `condition`: an append condition as JSON (SPEC 5.8.1), which the frame's schema then checks. */
function conditionParam(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new TauonError('bad-frame', 'the condition parameter is not JSON: {"stream": SELECTOR, "types": [...], "keys"?: [...], "after": POS}');
  }
}

/** Parses `from`: start, end, N (at N), after:N, before:N, event:ID, time:MS. */
export function startParam(text: string | null): unknown {
  if (text === null) return undefined;
  if (text === 'start' || text === 'end') return text;
  if (/^\d+$/.test(text)) return { at: Number(text) };
  const colon = text.indexOf(':');
  const kind = text.slice(0, colon);
  const value = text.slice(colon + 1);
  if (kind === 'event') return { event: value };
  if (kind === 'after' || kind === 'before' || kind === 'time' || kind === 'at') return { [kind]: Number(value) };
  return text;
}

/** Reads a JSON body (UTF-8, at most maxBytes); with `emptyAllowed`, no body at all is undefined. */
async function readJson(request: IncomingMessage, maxBytes: number, options: { emptyAllowed?: boolean } = {}): Promise<unknown> {
  requireJsonBody(request);
  const body = await readBody(request, maxBytes);
  if (body.byteLength === 0 && options.emptyAllowed === true) return undefined;
  try {
    // Fatal: bytes that are not UTF-8 are refused, never stored as U+FFFD.
    return JSON.parse(UTF8.decode(body));
  } catch (error) {
    throw new TauonError('bad-frame', 'the request body is not JSON in UTF-8', { cause: error });
  }
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  if (body instanceof TextAnswer) return body.writeTo(response, status);
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
