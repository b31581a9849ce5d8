import { randomBytes } from 'node:crypto';
import { TauonError } from '../protocol/errors.js';

/*
 * Internal errors: what a client is told of a failure of ours, and what the log keeps. A client
 * gets a generic message with an id; the server's log gets the whole error (stack, cause) with
 * the same id, so that an operator can find it from a client's report. Library messages ("RangeError:
 * Maximum call stack size exceeded", a driver's text naming hosts or tables) never go on the wire.
 */

/** One internal error, as the server logs it. */
export interface InternalErrorRecord {
  /** The id the client was told (`details.errorId` of its `error`), to find this record by. */
  readonly errorId: string;
  /** What the server was doing: `read`, `append`, `subscription`, `HTTP POST /streams/x/events`... */
  readonly context: string;
  /** The error as it was raised, with its stack and causes. */
  readonly error: unknown;
}

/** Where a server logs its internal errors (TauonServerOptions.errorLog). */
export type InternalErrorLog = (record: InternalErrorRecord) => void;

/** How many causes deep a logged error is followed. */
const MAX_CAUSE_DEPTH = 5;

/** An error's name, message, code, stack and causes, as plain data for a log line. */
export function describeError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) {
    try {
      return String(error);
    } catch {
      return Object.prototype.toString.call(error);
    }
  }
  const { code } = error as { code?: unknown };
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(error.stack === undefined ? {} : { stack: error.stack }),
    ...(error.cause === undefined || depth >= MAX_CAUSE_DEPTH ? {} : { cause: describeError(error.cause, depth + 1) }),
  };
}

/**
 * One internal error as one JSON line (no newline at its end): time, level, message, the id, the
 * context and the error with its stack and causes. Stack lines stay inside the JSON string, so
 * that one error is one line of the log.
 *
 * @example
 * {"time":"2026-11-02T10:00:00.000Z","level":"error","msg":"internal error","errorId":"3f2a9c...","context":"read","error":{"name":"RangeError","message":"Maximum call stack size exceeded","stack":"RangeError: ..."}}
 */
export function formatInternalError(record: InternalErrorRecord, time: Date = new Date()): string {
  return JSON.stringify({
    time: time.toISOString(),
    level: 'error',
    msg: 'internal error',
    errorId: record.errorId,
    context: record.context,
    error: describeError(record.error),
  });
}

/** The default {@link InternalErrorLog}: one JSON line on the process's stderr. */
export function stderrErrorLog(record: InternalErrorRecord): void {
  process.stderr.write(`${formatInternalError(record)}\n`);
}

/**
 * An internal error as a client sees it: code `internal`, the message `internal error, id ID`
 * and `details.errorId`. The original error is its `cause` (on the server only: it never goes
 * on the wire).
 */
export class InternalError extends TauonError {
  override readonly name = 'InternalError';

  constructor(
    /** The id the server's log has the full error under. */
    readonly errorId: string,
    cause?: unknown,
  ) {
    super('internal', `internal error, id ${errorId}`, { details: { errorId }, cause });
  }
}

/** True for an `internal` error that already carries an id: it was logged where it arose. */
function isReported(error: TauonError): boolean {
  return error instanceof InternalError || typeof error.details?.['errorId'] === 'string';
}

/**
 * Turns failures into what a client may be told, logging each internal one once. One per server
 * (TauonServer.internalErrors); sessions, subscriptions, append pipelines and the HTTP API use it.
 */
export class InternalErrors {
  readonly #log: InternalErrorLog;
  /** The same failure answered several times (every write of a failed call) keeps one id. */
  readonly #exposed = new WeakMap<object, InternalError>();

  constructor(log: InternalErrorLog = stderrErrorLog) {
    this.#log = log;
  }

  /**
   * What a client may be told of `error`: a TauonError of any code but `internal` as it is;
   * anything else (an `internal` TauonError, which may quote a library, or any other throw) as an
   * {@link InternalError} with a fresh id, the full error logged with that id. An error already
   * exposed keeps its id and is not logged again. Never throws.
   *
   * @param context What the server was doing, for the log.
   */
  expose(error: unknown, context: string): TauonError {
    if (error instanceof TauonError && (error.code !== 'internal' || isReported(error))) return error;
    const key = typeof error === 'object' && error !== null ? error : undefined;
    const known = key === undefined ? undefined : this.#exposed.get(key);
    if (known !== undefined) return known;
    const errorId = randomBytes(8).toString('hex');
    const exposed = new InternalError(errorId, error);
    if (key !== undefined) this.#exposed.set(key, exposed);
    try {
      this.#log({ errorId, context, error });
    } catch {
      // A log that fails must not turn one failed request into a failed server.
    }
    return exposed;
  }
}

/** For the parts of a server built without one: internal errors go to stderr. */
export const stderrInternalErrors = new InternalErrors();
