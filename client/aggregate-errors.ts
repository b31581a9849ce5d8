import { TauonError } from '../protocol/errors.js';

/**
 * A command met a newer version of its stream on every try: other writers appended between
 * each read and its append until the handler's retries were spent (code
 * `wrong-expected-version`, the same as the append's; `cause` is the last append's error).
 * @example
 * ```ts
 * try {
 *   await accounts.handle('account.42', { type: 'Deposit', amount: 10 });
 * } catch (error) {
 *   if (error instanceof CommandConflictError) console.warn(`${error.stream} is busy: ${error.attempts} tries`);
 *   else throw error;
 * }
 * ```
 */
export class CommandConflictError extends TauonError {
  override readonly name = 'CommandConflictError';
  constructor(
    readonly stream: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    super('wrong-expected-version', `stream ${stream}: the command met a newer version of the stream on each of ${attempts} tries`, {
      details: { stream, attempts },
      cause,
    });
  }
}
