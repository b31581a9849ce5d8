import { TauonError } from '../../protocol/errors.js';
import type { ClientTransport, Connection } from '../transport.js';
import type { SocketBinaryType, WebSocketConstructor } from './websocket-like.js';
import { WsClientConnection } from './ws-client-connection.js';

/** Options of {@link wsTransport}. */
export interface WsTransportOptions {
  /** WebSocket subprotocols to offer. */
  readonly protocols?: string | string[];
  /**
   * Extra HTTP headers on the upgrade request. Browsers cannot send them: with headers, the `ws`
   * package is used even where a global WebSocket exists.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * The certificates of the authorities to trust for a `wss://` server, instead of the system's
   * (PEM text or bytes, one or several), for a self-signed or private certificate. Node only
   * (browsers trust their system's store): with `ca`, the `ws` package is used.
   */
  readonly ca?: string | Uint8Array | readonly (string | Uint8Array)[];
  /**
   * How long connect() waits for the connection to open, in ms.
   * @default 10000
   */
  readonly connectTimeoutMs?: number;
  /**
   * How long a close handshake may take before the socket is destroyed, in ms (`ws` package only;
   * browsers have their own).
   * @default 5000
   */
  readonly closeTimeoutMs?: number;
  /**
   * The WebSocket implementation to use. By default the global `WebSocket` (browsers, Node 22+),
   * else the `ws` package.
   */
  readonly WebSocket?: WebSocketConstructor;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;

/** A WebSocket constructor, whether it takes `ws`'s options object, and the binary type to ask of its sockets. */
interface Implementation {
  readonly WebSocket: WebSocketConstructor;
  readonly takesOptions: boolean;
  readonly binaryType: SocketBinaryType;
}

function messageOf(error: unknown): string | undefined {
  if (error instanceof Error) return error.message;
  // An ErrorEvent (ws, some browsers) carries the message or the error itself.
  if (typeof error === 'object' && error !== null) {
    const { message, error: inner } = error as { message?: unknown; error?: unknown };
    if (inner instanceof Error) return inner.message;
    if (typeof message === 'string' && message !== '') return message;
  }
  return undefined;
}

/** Node's codes of a server certificate that is not trusted here (a missing CA) or is not valid. */
const UNTRUSTED_CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);

/** The message of a TLS failure, with what to do when the server's certificate is not trusted. */
function withTrustHint(message: string | undefined, error: unknown): string | undefined {
  if (message === undefined || typeof error !== 'object' || error === null) return message;
  const { code, error: inner } = error as { code?: unknown; error?: { code?: unknown } };
  const tlsCode = typeof code === 'string' ? code : inner?.code;
  if (typeof tlsCode !== 'string' || !UNTRUSTED_CERTIFICATE_CODES.has(tlsCode)) return message;
  return `${message} (the server's certificate is not trusted here: give the certificate of the CA that signed it, option ca)`;
}

function cannotConnect(url: string, why: string, cause?: unknown): TauonError {
  return new TauonError('closed', `cannot connect to ${url}: ${why}`, { cause });
}

/** Headers and a CA are options of the `ws` package that a standard WebSocket does not take. */
function needsWsPackage(options: WsTransportOptions): boolean {
  return options.headers !== undefined || options.ca !== undefined;
}

async function implementation(url: string, options: WsTransportOptions): Promise<Implementation> {
  if (options.WebSocket !== undefined) {
    return { WebSocket: options.WebSocket, takesOptions: needsWsPackage(options), binaryType: 'arraybuffer' };
  }
  const global = (globalThis as { WebSocket?: unknown }).WebSocket;
  if (!needsWsPackage(options) && typeof global === 'function') {
    return { WebSocket: global as WebSocketConstructor, takesOptions: false, binaryType: 'arraybuffer' };
  }
  try {
    // Loaded only when needed, so that a browser bundle of the client does not carry `ws`.
    const ws = await import('ws');
    // Its binary messages as Buffers, handed over without the copy its 'arraybuffer' makes.
    return { WebSocket: ws.WebSocket as unknown as WebSocketConstructor, takesOptions: true, binaryType: 'nodebuffer' };
  } catch (error) {
    const why = 'no WebSocket implementation (no global WebSocket, and the ws package is not installed)';
    throw cannotConnect(url, why, error);
  }
}

/** Opens one socket and resolves once it is open, or rejects once it closed or timed out. */
function open(
  url: string,
  { WebSocket, takesOptions, binaryType }: Implementation,
  options: WsTransportOptions,
): Promise<Connection> {
  return new Promise<Connection>((resolve, reject) => {
    let connection: WsClientConnection;
    try {
      const socket = takesOptions
        ? new WebSocket(url, options.protocols, {
            ...(options.headers === undefined ? {} : { headers: { ...options.headers } }),
            ...(options.ca === undefined ? {} : { ca: options.ca }),
            closeTimeout: options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
          })
        : new WebSocket(url, options.protocols);
      // Listeners go on before the socket opens: see WsClientConnection.
      connection = new WsClientConnection(socket, binaryType);
      let lastError: unknown;
      let settled = false;
      const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        connection.abort();
        reject(cannotConnect(url, `not open after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.addEventListener('error', (event) => {
        lastError = event;
      });
      socket.addEventListener('open', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(connection);
      });
      void connection.closed.then((info) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const why = withTrustHint(messageOf(lastError), lastError) ?? `closed before it opened (code ${info.code})`;
        reject(cannotConnect(url, why, lastError));
      });
    } catch (error) {
      // A malformed URL, a bad subprotocol: the constructor throws.
      reject(cannotConnect(url, messageOf(error) ?? String(error), error));
    }
  });
}

/**
 * The WebSocket client transport. Uses the global `WebSocket` where there is one (browsers,
 * Node 22+), else the `ws` package, loaded on first connect. Frames go out as binary messages;
 * text messages from the server arrive as their UTF-8 bytes. connect() rejects with a `closed`
 * TauonError naming the URL when the connection cannot be made. Runtime-neutral.
 *
 * @example
 * ```ts
 * const client = await connect(wsTransport('ws://127.0.0.1:8080/tauon'));
 * ```
 */
export function wsTransport(url: string, options: WsTransportOptions = {}): ClientTransport {
  let resolved: Promise<Implementation> | undefined;
  return {
    description: url,
    async connect(): Promise<Connection> {
      resolved ??= implementation(url, options);
      return open(url, await resolved, options);
    },
  };
}
