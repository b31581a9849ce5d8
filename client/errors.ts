import { TauonError } from '../protocol/errors.js';
import type { ErrorCode } from '../protocol/error-codes.js';

/**
 * The server answered `hello` with `reject`: `code` is the server's (`unauthorized`,
 * `unsupported-version`, ...), `versions` the protocol versions it speaks.
 */
export class HandshakeRejectedError extends TauonError {
  override readonly name = 'HandshakeRejectedError';
  constructor(
    code: ErrorCode,
    message: string,
    readonly versions: readonly number[],
  ) {
    super(code, message, { details: { versions: [...versions] } });
  }

  /** True when dialing again may succeed: the server was busy or failed, not refusing us. */
  get retriable(): boolean {
    return this.code === 'overloaded' || this.code === 'internal';
  }
}

/** A request got no answer in time (raised on the client, code `timeout`). */
export class RequestTimeoutError extends TauonError {
  override readonly name = 'RequestTimeoutError';
  constructor(message: string) {
    super('timeout', message);
  }
}

/** Turns anything thrown into a TauonError, keeping a TauonError as it is. */
export function asTauonError(error: unknown, code: ErrorCode, message: string): TauonError {
  return error instanceof TauonError ? error : new TauonError(code, `${message}: ${describe(error)}`, { cause: error });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
