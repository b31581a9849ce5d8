import { describeError, type InternalErrorLog } from './internal-errors.js';

/*
 * The server's structured log: a small interface that a pino logger satisfies as it is, so that
 * the library depends on no logger and `tauon serve` hands it pino (log-pino.ts). The server logs
 * per connection (debug) and per failure (error), never per event or frame.
 */

/** Fields of one log line. */
export type LogFields = Record<string, unknown>;

/**
 * Where a server writes its log lines (TauonServerOptions.log). A pino `Logger` is one; so is
 * any object with these four methods. Each takes the line's fields, then its message.
 *
 * @example log: pino({ level: 'debug' })
 */
export interface ServerLog {
  error(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  debug(fields: LogFields, message: string): void;
  /** Whether a level is logged: lines that cost something to build are skipped when it is not. */
  isLevelEnabled?(level: string): boolean;
}

/** Whether `log` writes `level`: a log that cannot say is taken to write everything. */
export function logs(log: ServerLog | undefined, level: 'debug' | 'info'): log is ServerLog {
  return log !== undefined && (log.isLevelEnabled === undefined || log.isLevelEnabled(level));
}

/**
 * Internal errors as error lines of `log`: message `internal error`, with the id the client was
 * told, what the server was doing, and `error` (name, message, code, stack and causes), the
 * fields of the server's default line (formatInternalError).
 */
export function internalErrorsTo(log: ServerLog): InternalErrorLog {
  return ({ errorId, context, error }) => log.error({ errorId, context, error: describeError(error) }, 'internal error');
}
