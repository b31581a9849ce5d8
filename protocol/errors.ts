import type { ErrorCode } from './error-codes.js';

/**
 * The error every Tauon failure is raised as: `code` is the stable wire code, `details` the
 * structured data the server sent with it (for `wrong-expected-version`: stream, expected, actual).
 */
export class TauonError extends Error {
  override readonly name: string = 'TauonError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { details?: Record<string, unknown> | undefined; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }
}

/** An append's expected version did not hold. `actual` is the stream's version (0 when absent). */
export class WrongExpectedVersionError extends TauonError {
  override readonly name = 'WrongExpectedVersionError';
  constructor(
    readonly stream: string,
    readonly expected: unknown,
    readonly actual: number,
    message?: string,
  ) {
    super(
      'wrong-expected-version',
      message ?? `stream ${stream}: expected version ${JSON.stringify(expected)}, actual ${actual}`,
      { details: { stream, expected, actual } },
    );
  }
}

/**
 * An append's condition did not hold (SPEC 5.8.1): an event of its types (and keys) was stored
 * in its selector after its position. `pos` is that event's store-wide position; read what
 * changed from there, decide again, and retry with a new condition.
 */
export class AppendConditionFailedError extends TauonError {
  override readonly name = 'AppendConditionFailedError';
  constructor(
    readonly stream: string,
    readonly pos: number,
    message?: string,
  ) {
    super('condition-failed', message ?? `stream ${stream}: the append's condition failed: a matching event is stored at position ${pos}`, {
      details: { stream, pos },
    });
  }
}

/** An append was not applied because an earlier append to the same stream failed first. */
export class ChainBrokenError extends TauonError {
  override readonly name = 'ChainBrokenError';
  constructor(
    readonly stream: string,
    message?: string,
  ) {
    super('chain-broken', message ?? `stream ${stream}: an earlier append to it failed`, {
      details: { stream },
    });
  }
}

/** The connection closed, or the client was closed, before the answer came. */
export class ConnectionClosedError extends TauonError {
  override readonly name = 'ConnectionClosedError';
  constructor(message = 'connection closed', cause?: unknown) {
    super('closed', message, { cause });
  }
}

/** A frame could not be decoded or did not match the protocol's schemas. */
export class BadFrameError extends TauonError {
  override readonly name = 'BadFrameError';
  constructor(message: string, cause?: unknown) {
    super('bad-frame', message, { cause });
  }
}

/**
 * A frame that decodes, or would, but carries what the protocol cannot keep: data nested deeper
 * than the limit, or a string that is not UTF-8. Unlike undecodable bytes it does not close the
 * connection once the session is open; `value` is what was decoded (undefined when the frame was
 * too deep to decode safely), so that the error can name the frame's request.
 */
export class RefusedFrameError extends TauonError {
  override readonly name = 'RefusedFrameError';
  constructor(
    message: string,
    readonly value: unknown,
  ) {
    super('bad-frame', message);
  }
}

/** A token was missing, refused, or has expired: at `hello` (in `reject`), or when a session's token expires. */
export class UnauthorizedError extends TauonError {
  override readonly name = 'UnauthorizedError';
  constructor(message: string, cause?: unknown) {
    super('unauthorized', message, { cause });
  }
}

/** The session's permissions do not allow this: `permission` on `selector` (a stream, a pattern or `$all`). */
export class ForbiddenError extends TauonError {
  override readonly name = 'ForbiddenError';
  constructor(
    readonly permission: 'read' | 'write',
    readonly selector: string,
    message?: string,
  ) {
    super('forbidden', message ?? `no ${permission} permission on "${selector}"`, { details: { permission, selector } });
  }
}

/** Builds the most specific error class for a code received on the wire. */
export function errorFromWire(
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
): TauonError {
  if (code === 'wrong-expected-version' && details !== undefined) {
    const actual = typeof details['actual'] === 'number' ? details['actual'] : 0;
    return new WrongExpectedVersionError(String(details['stream']), details['expected'], actual, message);
  }
  if (code === 'condition-failed' && details !== undefined && typeof details['pos'] === 'number') {
    return new AppendConditionFailedError(String(details['stream']), details['pos'], message);
  }
  if (code === 'chain-broken' && details !== undefined) {
    return new ChainBrokenError(String(details['stream']), message);
  }
  if (code === 'bad-frame') return new BadFrameError(message);
  if (code === 'unauthorized') return new UnauthorizedError(message);
  if (code === 'forbidden' && (details?.['permission'] === 'read' || details?.['permission'] === 'write')) {
    return new ForbiddenError(details['permission'], String(details['selector']), message);
  }
  return new TauonError(code, message, { details });
}
