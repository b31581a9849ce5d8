import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/*
 * What a web page may do with a server that answers HTTP and WebSocket on one port. A browser
 * lets any page send requests anywhere; the server must tell its own clients from a page that
 * the user happened to open. Two headers say where a request comes from and where it was meant:
 * - Origin: the page that sent it. Browsers always send it on WebSocket upgrades and on
 *   cross-origin requests; programs (ws, curl, the Tauon CLI) do not send it, and pass.
 * - Host: the name the browser resolved. A page of evil.example that rebinds its DNS name to
 *   127.0.0.1 (DNS rebinding) reaches a loopback server as same-origin, but its Host header still
 *   says evil.example.
 */

/** Options of {@link BrowserGuard}. */
export interface BrowserGuardOptions {
  /**
   * The origins whose pages may connect and call the HTTP API, such as `https://app.example.com`
   * (scheme, host and port; no path). `"*"` allows every origin. A page of the server's own
   * origin (its Origin names the host of the request's Host header) always may.
   * @default [] (no other origin)
   */
  readonly allowOrigins?: readonly string[];
  /**
   * Host names (any port) that a request arriving on a loopback address may name in its Host
   * header, besides `localhost`, `*.localhost`, `127.x.x.x` and `[::1]`, which always may.
   * `"*"` turns the check off.
   * @default []
   */
  readonly allowHosts?: readonly string[];
}

/** Why a request is refused: the HTTP status, and a message for people. */
export interface BrowserRefusal {
  /** 403 for an origin that is not allowed; 421 for a Host header a loopback server does not answer for. */
  readonly status: 403 | 421;
  readonly message: string;
}

/** The reason phrase of each refusal status. */
export const REFUSAL_STATUS_TEXT: Readonly<Record<BrowserRefusal['status'], string>> = {
  403: 'Forbidden',
  421: 'Misdirected Request',
};

/**
 * An origin as browsers serialize it (`https://app.example.com:8443`, default port left out), or
 * undefined when `text` is not a plain origin (a path, a query, no host).
 */
export function normalizeOrigin(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.host === '' || url.username !== '' || url.password !== '') return undefined;
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || text.endsWith('?') || text.endsWith('#')) return undefined;
  // Not url.origin: that is "null" for schemes such as chrome-extension:, whose pages send their origin.
  return `${url.protocol}//${url.host}`;
}

/** True for an address of this machine's loopback interface (127.0.0.0/8, ::1, ::ffff:127.x). */
function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** True for a Host header's name that always means this machine. */
function isLoopbackName(hostname: string): boolean {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  if (hostname === '[::1]') return true;
  return isIP(hostname) === 4 && hostname.startsWith('127.');
}

/** The host name of a Host header (lower case, IPv6 in brackets, no port), or undefined when it is malformed. */
function hostnameOf(host: string): string | undefined {
  // A Host header is host[:port]; anything that would make it a URL of another host is malformed.
  if (host === '' || /[\s@/\\?#]/.test(host)) return undefined;
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return undefined;
  }
}

/**
 * Decides which browser requests a server takes: by the Origin header (the page that sent the
 * request) and, for requests that arrive on a loopback address, by the Host header (against DNS
 * rebinding). Requests without an Origin header do not come from a page and pass the origin
 * check. Used by the WebSocket transport for upgrades and by the HTTP API for every request
 * (and its CORS answers). Node only.
 *
 * @example
 * const guard = new BrowserGuard({ allowOrigins: ['https://app.example.com'] });
 * const refusal = guard.check(request); // undefined: go on
 */
export class BrowserGuard {
  readonly #anyOrigin: boolean;
  readonly #origins: ReadonlySet<string>;
  readonly #anyHost: boolean;
  readonly #hosts: ReadonlySet<string>;

  /** @throws TypeError naming an entry of `allowOrigins` that is not an origin. */
  constructor(options: BrowserGuardOptions = {}) {
    const origins = options.allowOrigins ?? [];
    this.#anyOrigin = origins.includes('*');
    this.#origins = new Set(
      origins
        .filter((origin) => origin !== '*')
        .map((origin) => {
          const normal = normalizeOrigin(origin);
          if (normal === undefined) throw new TypeError(`"${origin}" is not an origin (scheme://host[:port], or "*")`);
          return normal;
        }),
    );
    const hosts = options.allowHosts ?? [];
    this.#anyHost = hosts.includes('*');
    this.#hosts = new Set(hosts.filter((host) => host !== '*').map((host) => host.toLowerCase()));
  }

  /** Why `request` is refused (its Host first, then its Origin), or undefined when it may go on. */
  check(request: IncomingMessage): BrowserRefusal | undefined {
    return this.hostRefusal(request) ?? this.originRefusal(request);
  }

  /**
   * Why a request that arrived on a loopback address is refused for its Host header: a name that
   * is not a loopback name nor allowed. Requests without a Host header (HTTP/1.0 programs) pass.
   */
  hostRefusal(request: IncomingMessage): BrowserRefusal | undefined {
    const host = request.headers.host;
    if (this.#anyHost || host === undefined || !isLoopbackAddress(request.socket.localAddress)) return undefined;
    const hostname = hostnameOf(host);
    if (hostname !== undefined && (isLoopbackName(hostname) || this.#hosts.has(hostname))) return undefined;
    return {
      status: 421,
      message:
        `this server listens on loopback and answers for localhost, 127.0.0.1 and [::1], not for ${JSON.stringify(host)} ` +
        '(a page that rebinds its DNS name to this machine looks like this); allow the name with allowHosts',
    };
  }

  /** Why a request is refused for its Origin header, or undefined when it has none or an allowed one. */
  originRefusal(request: IncomingMessage): BrowserRefusal | undefined {
    const origin = request.headers.origin;
    if (origin === undefined || this.allows(origin, request.headers.host)) return undefined;
    return {
      status: 403,
      message: `pages of origin ${JSON.stringify(origin)} may not use this server; allow the origin with allowOrigins`,
    };
  }

  /**
   * True when a page of `origin` may use the server: `"*"` is allowed, the origin is in the list,
   * or it is the server's own origin (its host is the request's Host header).
   */
  allows(origin: string, host?: string): boolean {
    if (this.#anyOrigin) return true;
    const normal = normalizeOrigin(origin);
    if (normal === undefined) return false;
    if (this.#origins.has(normal)) return true;
    if (host === undefined) return false;
    // Same origin: the host (and port) the page came from is the one the request was sent to.
    if (hostnameOf(host) === undefined) return false;
    try {
      const { protocol, host: originHost } = new URL(normal);
      return originHost === new URL(`${protocol}//${host}`).host;
    } catch {
      return false;
    }
  }
}
