import { isIP } from 'node:net';
import { redactUrl } from '../transports/amqp/index.js';
import type { AuthConfig } from '../server-reference/auth/auth-config-schema.js';
import { authenticatorFromConfig } from '../server-reference/auth/auth-from-config.js';
import type { Authenticate } from '../server-reference/auth/authenticator.js';
import { ConfigError } from '../server-reference/config.js';
import { UsageError } from './arguments.js';

/** Where `tauon serve` is reachable, and what it was told about who may use it. */
export interface ServeExposure {
  /** The host the HTTP and WebSocket port listens on. */
  readonly host: string;
  /** The AMQP broker it also serves on, if any. */
  readonly amqpUrl: string | undefined;
  /** The configuration's `auth` section, if any. */
  readonly auth: AuthConfig | undefined;
  /** `--allow-anonymous`: serve every client, unauthenticated, on any address. */
  readonly allowAnonymous: boolean;
  /** Where the configuration came from, for messages. */
  readonly source: string;
}

/** Who may use the server: the authenticator to run it with, and what to print about it. */
export interface ServeAccess {
  readonly authenticate: Authenticate | undefined;
  readonly lines: readonly string[];
}

/**
 * Safe by default, as Redis's protected mode: a server reachable from other machines (a host
 * that is not loopback, or a broker that is not) without authentication refuses to start
 * unless told `--allow-anonymous`. Builds the authenticator of the `auth` section.
 *
 * @throws UsageError (exit 2) when the server would be open to other machines unasked, when
 * `--allow-anonymous` contradicts an `auth` section, or when a secret cannot be read.
 */
export async function serveAccess(exposure: ServeExposure): Promise<ServeAccess> {
  const { auth, allowAnonymous } = exposure;
  if (auth !== undefined) {
    if (allowAnonymous) {
      throw new UsageError(
        '--allow-anonymous: the configuration has an "auth" section; say there what clients without a token may do ("anonymous")',
      );
    }
    try {
      return { authenticate: await authenticatorFromConfig(auth, exposure.source), lines: [`tauon: ${describeAuth(auth)}`] };
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(error.message);
      throw error;
    }
  }
  const exposed = [
    ...(isLoopbackHost(exposure.host) ? [] : [exposure.host]),
    ...(exposure.amqpUrl === undefined || isLoopbackHost(amqpHost(exposure.amqpUrl)) ? [] : [redactUrl(exposure.amqpUrl)]),
  ];
  if (exposed.length === 0) return { authenticate: undefined, lines: [] };
  if (!allowAnonymous) {
    throw new UsageError(
      `refusing to serve ${exposed.join(' and ')} without authentication: anyone who reaches it could read and write every stream. ` +
        'Lock it with an "auth" section in the configuration file (--config FILE; see docs/security.md), ' +
        'or pass --allow-anonymous to serve every client anyway',
    );
  }
  return {
    authenticate: undefined,
    lines: [`tauon: no authentication (--allow-anonymous): every client that reaches ${exposed.join(' or ')} may read and write every stream`],
  };
}

/**
 * True for a host that only this machine reaches: `localhost`, 127.0.0.0/8, `::1` (and
 * 127.0.0.0/8 mapped into IPv6). `0.0.0.0`, `::` and every other name or address are not.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host).toLowerCase();
  if (bare === 'localhost') return true;
  const version = isIP(bare);
  if (version === 4) return bare.startsWith('127.');
  if (version !== 6) return false;
  // The URL parser writes an IPv6 address one way: `::1`, `::ffff:7f00:1` for 127.0.0.1.
  const canonical = new URL(`http://[${bare}]/`).hostname;
  return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
}

/** The broker's host in an amqp:// URL (amqplib's default, localhost, when it names none). */
function amqpHost(url: string): string {
  try {
    const host = new URL(url).hostname;
    return host === '' ? 'localhost' : host;
  } catch {
    return url;
  }
}

/** `clients authenticate with 2 tokens and JWTs; clients without a token are refused`. */
export function describeAuth(auth: AuthConfig): string {
  const tokens = auth.tokens?.length ?? 0;
  const ways = [...(tokens > 0 ? [`${tokens} token${tokens === 1 ? '' : 's'}`] : []), ...(auth.jwt === undefined ? [] : ['JWTs'])];
  const anonymous =
    auth.anonymous === undefined
      ? 'clients without a token are refused'
      : `clients without a token may read ${listOf(auth.anonymous.read)} and write ${listOf(auth.anonymous.write)}`;
  return ways.length === 0 ? `no tokens; ${anonymous}` : `clients authenticate with ${ways.join(' and ')}; ${anonymous}`;
}

function listOf(selectors: readonly string[] | undefined): string {
  return selectors === undefined || selectors.length === 0 ? 'nothing' : selectors.join(', ');
}
