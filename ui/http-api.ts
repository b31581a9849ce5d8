import { currentToken } from './token-store.js';

/** An error answer of the server's HTTP API, or a request that got no answer (status 0). */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    /** The HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    /** The error code of the answer (protocol/error-codes.ts), or `unreachable`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Dispatched on `window` when the server answers 401: the page then asks for a token. */
export const UNAUTHORIZED_EVENT = 'tauon-unauthorized';

/**
 * GETs a route of the server's own HTTP API (same origin), with the token as
 * `Authorization: Bearer`, and resolves with its JSON body.
 * @throws ApiError for an error answer or no answer.
 */
export async function apiGet<T>(path: string): Promise<T> {
  const token = currentToken();
  let response: Response;
  try {
    response = await fetch(path, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (error) {
    throw new ApiError(0, 'unreachable', `the server did not answer (${error instanceof Error ? error.message : String(error)})`);
  }
  const body = (await response.json().catch(() => undefined)) as unknown;
  if (response.ok) return body as T;
  const { code, message } = errorOf(body);
  if (response.status === 401) window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
  throw new ApiError(response.status, code ?? `http-${response.status}`, message ?? `HTTP ${response.status}`);
}

/** The `{error: {code, message}}` of an error answer, as far as it has one. */
function errorOf(body: unknown): { code?: string; message?: string } {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return {
    ...(typeof error?.code === 'string' ? { code: error.code } : {}),
    ...(typeof error?.message === 'string' ? { message: error.message } : {}),
  };
}

/** A path segment of a stream, group or projection name. */
export const segment = (name: string): string => encodeURIComponent(name);
