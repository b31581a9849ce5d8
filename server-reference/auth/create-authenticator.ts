import { UnauthorizedError } from '../../protocol/errors.js';
import type { Authenticate, Grant } from './authenticator.js';
import { jwtVerifier, type JwtOptions } from './jwt-authenticator.js';
import { Permissions, type Access } from './permissions.js';
import { StaticTokens, type StaticToken } from './token-authenticator.js';

/**
 * Who may use a server and what each may do: the programmatic form of the configuration's
 * `auth` section (docs/configuration.md), with its secrets already read.
 */
export interface AuthOptions {
  /** Static tokens, each with what it grants. */
  readonly tokens?: readonly StaticToken[];
  /** Signed JWTs: how they are checked; each grants what its claims say. */
  readonly jwt?: JwtOptions;
  /**
   * What a client that sends no token may do. Absent: such a client is refused. A client that
   * sends a token that is refused is refused, whatever this says.
   */
  readonly anonymous?: Access;
}

/**
 * Builds the authenticator of a server from static tokens, a JWT check and anonymous access.
 * A token is looked up among the static tokens first, then checked as a JWT.
 *
 * @throws TypeError when nothing is configured, or a token, key or grant cannot be used.
 * @example
 * const server = new TauonServer({
 *   store,
 *   authenticate: await createAuthenticator({
 *     tokens: [{ name: 'admin', token: process.env.TAUON_ADMIN_TOKEN!, read: ['$all'], write: ['$all'] }],
 *     jwt: { secret: process.env.TAUON_JWT_SECRET!, audience: 'tauon' },
 *     anonymous: { read: ['public.*'] },
 *   }),
 * });
 */
export async function createAuthenticator(options: AuthOptions): Promise<Authenticate> {
  if ((options.tokens?.length ?? 0) === 0 && options.jwt === undefined && options.anonymous === undefined) {
    throw new TypeError('authentication needs at least one of tokens, jwt and anonymous');
  }
  const tokens = new StaticTokens(options.tokens ?? []);
  const verify = options.jwt === undefined ? undefined : await jwtVerifier(options.jwt);
  let anonymous: Grant | undefined;
  if (options.anonymous !== undefined) {
    try {
      Permissions.of(options.anonymous);
    } catch (error) {
      throw new TypeError(`anonymous: ${(error as Error).message}`, { cause: error });
    }
    anonymous = { read: options.anonymous.read ?? [], write: options.anonymous.write ?? [], subject: 'anonymous' };
  }
  return (token) => {
    if (token === undefined) {
      if (anonymous !== undefined) return anonymous;
      throw new UnauthorizedError('this server requires a token');
    }
    const found = tokens.find(token);
    if (found !== undefined) return found;
    if (verify !== undefined && looksLikeJwt(token)) return verify(token);
    throw new UnauthorizedError('the token was refused');
  };
}

/** Three base64url parts separated by dots: worth checking as a JWT. */
function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}
