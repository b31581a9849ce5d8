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

function cannotConnect(url: string, why: string, cause?: unknown): TauonError {
  return new TauonError('closed', `cannot connect to ${url}: ${why}`, { cause });
}

async function implementation(url: string, options: WsTransportOptions): Promise<Implementation> {
  if (options.WebSocket !== undefined) {
    return { WebSocket: options.WebSocket, takesOptions: options.headers !== undefined, binaryType: 'arraybuffer' };
  }
  const global = (globalThis as { WebSocket?: unknown }).WebSocket;
  if (options.headers === undefined && typeof global === 'function') {
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
        const why = messageOf(lastError) ?? `closed before it opened (code ${info.code})`;
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
