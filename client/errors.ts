import { TauonError } from '../protocol/errors.js';
import type { ErrorCode } from '../protocol/error-codes.js';

/**
 * The server answered `hello` with `reject`: `code` is the server's (`unauthorized`,
 * `unsupported-version`, ...), `versions` the protocol versions it speaks.
 * @example
 * ```ts
 * try {
 *   await connect(wsTransport('ws://127.0.0.1:7600'), { token: 'a token the server does not know' });
 * } catch (error) {
 *   if (error instanceof HandshakeRejectedError && !error.retriable) console.error('refused:', error.code, error.message);
 * }
 * ```
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

/** A request got no answer in time (raised on the client, code `timeout`). * @example
 * ```ts
 * const page = await client.read('orders').catch((error: unknown) => {
 *   if (error instanceof RequestTimeoutError) return undefined; // no answer in requestTimeoutMs
 *   throw error;
 * });
 * ```
 */
export class RequestTimeoutError extends TauonError {
  override readonly name = 'RequestTimeoutError';
  constructor(message: string) {
    super('timeout', message);
  }
}

/**
 * The client reconnected to a server of another store than the one its subscriptions and
 * unacknowledged emits were made in (`welcome.store` differs, or is gone): resuming there would
 * skip or repeat events by positions that mean nothing in it, and resending would write into a
 * store the caller never chose. So each of them fails with this (code `store-changed`, raised
 * on the client only, SPEC 12); subscriptions and emits made after it go to the new store.
 * @example
 * ```ts
 * client.subscribe('orders').subscribe({
 *   error: (error) => {
 *     if (error instanceof StoreChangedError) console.warn(`store ${error.previous} is gone; start over from the new store`);
 *   },
 * });
 * ```
 */
export class StoreChangedError extends TauonError {
  override readonly name = 'StoreChangedError';
  constructor(
    /** The store the client knew (`welcome.store` of the sessions before). */
    readonly previous: string,
    /** The store of the new session, or undefined when its `welcome` names none. */
    readonly current: string | undefined,
  ) {
    super(
      'store-changed',
      current === undefined
        ? `the server no longer names its store (it was ${previous}); what was pending is not resumed there`
        : `the server now serves store ${current}, not ${previous}; what was pending is not resumed there`,
      { details: current === undefined ? { previous } : { previous, current } },
    );
  }
}

/** Turns anything thrown into a TauonError, keeping a TauonError as it is. */
export function asTauonError(error: unknown, code: ErrorCode, message: string): TauonError {
  return error instanceof TauonError ? error : new TauonError(code, `${message}: ${describe(error)}`, { cause: error });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
