import type { Connection } from '../../../transports/transport.js';

/** How the wire kit reaches the server under test. */
export interface ServerUnderTest {
  /** Opens a new raw connection to the server. */
  connect(): Promise<Connection>;
  /** A token the server accepts, when it authenticates; with `auth`, it may read and write everything. */
  token?: string;
  /**
   * The server's WebSocket URL (read once it runs), when it is reached over WebSocket: the cases
   * of the binding's upgrade (origins, path) run then. The server must not allow every origin.
   */
  webSocketUrl?: () => string;
  /**
   * For a server that authenticates and authorizes: tokens with known permissions, for the
   * authentication and authorization cases (which are skipped without it). `token` must then
   * be given too, and may read and write `$all`.
   */
  auth?: AuthUnderTest;
  /**
   * The most connections the server serves at once, when it bounds them (SPEC 8) and the bound is
   * small enough to reach (the kit opens that many and one more): the `overloaded` case runs then.
   */
  maxConnections?: number;
}

/** The pattern the tokens of {@link AuthUnderTest} are granted: `tauon-conf-auth.*`. */
export const CONFORMANCE_AUTH_PATTERN = 'tauon-conf-auth.*';

/** Tokens of a server under test with the permissions the authorization cases expect. */
export interface AuthUnderTest {
  /** May read `tauon-conf-auth.*` (and nothing else), and write nothing. */
  readonly reader: string;
  /** May write `tauon-conf-auth.*` (and nothing else), and read nothing. */
  readonly writer: string;
  /**
   * Makes a token that may read and write everything and expires 1 to 3 seconds after it is
   * made (such as a JWT with that `exp`), for the expiry case; leave it out to skip that case.
   */
  readonly expiring?: () => string | Promise<string>;
}
