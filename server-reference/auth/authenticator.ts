import { UnauthorizedError } from '../../protocol/errors.js';
import { Permissions, type Access } from './permissions.js';

/** What an authenticator answers for a token it accepts: what the token may do, and until when. */
export interface Grant extends Access {
  /**
   * When the token stops being valid, in milliseconds since 1970: a session opened with it is
   * closed then (an `error` with code `unauthorized`, then close 4001), and its client
   * reconnects with a fresh token. Absent: the session lasts as long as the connection.
   */
  readonly expiresAt?: number;
  /** Who the token belongs to (a token's name, a JWT's `sub`), for messages and logs. */
  readonly subject?: string;
}

/**
 * Decides who may use a server and what each may do, from the token a client sends in `hello`
 * (or in an HTTP request's `Authorization: Bearer` header); `undefined` when it sent none.
 *
 * - `true`: the client may read and write everything.
 * - a {@link Grant}: the client may read and write what it names, until its `expiresAt`.
 * - `false` or `undefined`: refused (`reject` with code `unauthorized`, or HTTP 401).
 * - throwing an `UnauthorizedError`: refused, with its message (say why: "the token expired").
 *   Anything else thrown refuses the token too, with a message that does not repeat it.
 *
 * The server compiles each grant once per session (once per grant object, when the same object
 * is returned again), so answering the same object for the same token is cheapest.
 *
 * @example
 * const grants = new Map([[process.env.ADMIN_TOKEN, { read: ['$all'], write: ['$all'] }]]);
 * const server = new TauonServer({
 *   store,
 *   authenticate: (token) => (token === undefined ? { read: ['public.*'] } : grants.get(token)),
 * });
 */
export type Authenticate = (
  token: string | undefined,
) => boolean | Grant | undefined | Promise<boolean | Grant | undefined>;

/** What a session (or one HTTP request) may do, once its token is accepted. */
export interface SessionAccess {
  readonly permissions: Permissions;
  /** When the session must end, in milliseconds since 1970; undefined for never. */
  readonly expiresAt: number | undefined;
  readonly subject: string | undefined;
}

/** Grants already compiled, by the object the authenticator returned. */
const compiled = new WeakMap<Grant, Permissions>();

const EVERYTHING: SessionAccess = { permissions: Permissions.all, expiresAt: undefined, subject: undefined };

/**
 * Runs an authenticator on a token and compiles what it grants. No authenticator means every
 * client may do everything.
 *
 * @throws UnauthorizedError when the token is refused, has expired, or the authenticator fails.
 */
export async function authenticateToken(
  authenticate: Authenticate | undefined,
  token: string | undefined,
  now: number = Date.now(),
): Promise<SessionAccess> {
  if (authenticate === undefined) return EVERYTHING;
  let answer: boolean | Grant | undefined;
  try {
    answer = await authenticate(token);
  } catch (error) {
    if (error instanceof UnauthorizedError) throw error;
    throw new UnauthorizedError(token === undefined ? 'this server requires a token' : 'the token was refused', error);
  }
  if (answer === true) return EVERYTHING;
  if (answer === false || answer === undefined || answer === null) {
    throw new UnauthorizedError(token === undefined ? 'this server requires a token' : 'the token was refused');
  }
  const expiresAt = answer.expiresAt;
  if (expiresAt !== undefined && !(expiresAt > now)) {
    throw new UnauthorizedError(`the token expired at ${describeTime(expiresAt)}`);
  }
  let permissions = compiled.get(answer);
  if (permissions === undefined) {
    try {
      permissions = Permissions.of(answer);
    } catch (error) {
      // A grant naming something that is not a selector is the authenticator's fault.
      throw new UnauthorizedError(`the token was refused: its grant is not valid (${(error as Error).message})`, error);
    }
    compiled.set(answer, permissions);
  }
  return { permissions, expiresAt, subject: answer.subject };
}

/** An instant as people and logs read it (ISO 8601, UTC). */
export function describeTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}
