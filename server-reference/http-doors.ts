import type { IncomingMessage, ServerResponse } from 'node:http';
import { TauonError } from '../protocol/errors.js';
import { BrowserGuard, type BrowserGuardOptions } from '../transports/ws/browser-guard.js';
import { HTTP_STATUS } from './http-status.js';

/*
 * The HTTP API's doors for browsers: CORS for the origins allowed, refusal of the others and of
 * a Host header a loopback server does not answer for (BrowserGuard), and bodies that must be
 * declared as JSON. A page may POST a `text/plain` body anywhere without asking the server first
 * (a "simple" request); `application/json` makes the browser ask (a preflight), which only an
 * allowed origin passes.
 */

/** Options of createHttpApi: which browser pages may call it (see {@link BrowserGuardOptions}). */
export type HttpApiOptions = BrowserGuardOptions;

/** The methods of the HTTP API, as told to a preflight. */
const ALLOWED_METHODS = 'GET, POST, OPTIONS';
/** The request headers a page may send: a token, and the body's type (and CloudEvents' ce-* headers, below). */
const ALLOWED_HEADERS = 'Authorization, Content-Type';
/** The answer headers a page may read: where the next page of a CloudEvents read starts. */
const EXPOSED_HEADERS = 'Tauon-Next, Link';
/** How long a browser may keep a preflight's answer, in seconds (browsers cap it: Chromium at 2 h). */
const PREFLIGHT_MAX_AGE_S = 3600;

/** A request body not declared as `application/json`: HTTP 415, code `bad-frame`. */
export class UnsupportedMediaTypeError extends TauonError {
  override readonly name = 'UnsupportedMediaTypeError';
  /** The HTTP status it is answered with. */
  readonly status = 415;

  /** @param expected the media types the route takes, for the message */
  constructor(contentType: string | undefined, expected = 'application/json') {
    super(
      'bad-frame',
      `a request body must be JSON, sent with Content-Type: ${expected} (not ${contentType === undefined ? 'without one' : JSON.stringify(contentType)})`,
      { details: { contentType: contentType ?? null } },
    );
  }
}

/** The HTTP status of an error answer: the code's, or the error's own. */
export function httpStatusOf(error: TauonError): number {
  return error instanceof UnsupportedMediaTypeError ? error.status : HTTP_STATUS[error.code];
}

/**
 * Refuses a request whose body is not declared as JSON: `application/json`, parameters (a
 * charset) allowed, in any case.
 * @throws UnsupportedMediaTypeError
 */
export function requireJsonBody(request: IncomingMessage): void {
  const contentType = request.headers['content-type'];
  const mediaType = contentType?.split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') throw new UnsupportedMediaTypeError(contentType);
}

/** The `ce-*` headers a preflight asks for: CloudEvents binary mode (its attributes, lower-case names). */
function requestedCloudEventsHeaders(request: IncomingMessage): string[] {
  const requested = request.headers['access-control-request-headers']?.split(',') ?? [];
  return requested.map((name) => name.trim().toLowerCase()).filter((name) => /^ce-[a-z0-9]{1,20}$/.test(name));
}

/** Answers a refusal as the HTTP API answers errors: `{"error":{"code","message"}}`. */
function refuse(response: ServerResponse, status: number, message: string): void {
  const text = JSON.stringify({ error: { code: 'forbidden', message } });
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/**
 * The browser doors of one HTTP API. {@link HttpDoors.admit} runs before routing: it refuses what
 * the guard refuses, answers preflights, and puts the CORS headers on the answer of an allowed
 * cross-origin request.
 */
export class HttpDoors {
  readonly #guard: BrowserGuard;

  /** @throws TypeError naming an entry of `allowOrigins` that is not an origin. */
  constructor(options: HttpApiOptions = {}) {
    this.#guard = new BrowserGuard(options);
  }

  /**
   * True when the request goes on to the API (its answer then carries the CORS headers it
   * needs); false when it was answered here: refused (421 for its Host, 403 for its Origin) or
   * a preflight (204).
   */
  admit(request: IncomingMessage, response: ServerResponse): boolean {
    // Answers differ by Origin: caches must keep them apart.
    response.setHeader('vary', 'Origin');
    const refusal = this.#guard.check(request);
    if (refusal !== undefined) {
      refuse(response, refusal.status, refusal.message);
      return false;
    }
    const origin = request.headers.origin;
    if (origin !== undefined) {
      response.setHeader('access-control-allow-origin', origin);
      response.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
    }
    if (request.method === 'OPTIONS') {
      response.writeHead(204, {
        allow: ALLOWED_METHODS,
        ...(origin === undefined
          ? {}
          : {
              'access-control-allow-methods': ALLOWED_METHODS,
              'access-control-allow-headers': [ALLOWED_HEADERS, ...requestedCloudEventsHeaders(request)].join(', '),
              'access-control-max-age': String(PREFLIGHT_MAX_AGE_S),
            }),
      });
      response.end();
      return false;
    }
    return true;
  }
}
