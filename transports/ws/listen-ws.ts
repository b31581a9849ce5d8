import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserGuardOptions } from './browser-guard.js';
import { WsServerTransport } from './ws-server-transport.js';

/** Options of {@link listenWs}; `allowOrigins` and `allowHosts` as for {@link WsServerTransport}. */
export interface ListenWsOptions extends BrowserGuardOptions {
  /**
   * The interface to listen on.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * The TCP port; 0 picks a free one.
   * @default 0
   */
  readonly port?: number;
  /**
   * The WebSocket path.
   * @default '/'
   */
  readonly path?: string;
  /**
   * The largest message accepted, in bytes; a larger one is answered `too-large` by the session
   * and closed with 1009 (see the option of the same name of `WsServerTransport`).
   * @default 1048576
   */
  readonly maxPayload?: number;
  /**
   * How long a close handshake may take before the socket is destroyed, in ms.
   * @default 5000
   */
  readonly closeTimeoutMs?: number;
  /**
   * Answers plain HTTP requests. Without it (and without another 'request' listener added to
   * `server` later) every plain request gets 404.
   */
  readonly onRequest?: RequestListener;
}

/** A running HTTP server with a WebSocket transport on it, from {@link listenWs}. */
export interface WsListener {
  /** The HTTP server, listening. */
  readonly server: Server;
  /** The transport; pass it to the session engine, which calls `listen`. */
  readonly transport: WsServerTransport;
  /** The WebSocket URL clients connect to, such as `ws://127.0.0.1:38211/`. */
  readonly url: string;
  /** Closes the transport (and its connections), then the HTTP server. Idempotent. */
  close(): Promise<void>;
}

/** `host:port` for a URL, with brackets around an IPv6 address. */
function urlAuthority(address: AddressInfo): string {
  const host = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  return `${host}:${address.port}`;
}

/**
 * Starts an HTTP server with a {@link WsServerTransport} on it: for tests and small setups. Listens
 * on 127.0.0.1 and a free port unless told otherwise.
 *
 * @example
 * ```ts
 * const { transport, url, close } = await listenWs();
 * await transport.listen((connection) => engine.accept(connection));
 * const client = await connect(wsTransport(url));
 * // ...
 * await close();
 * ```
 */
export async function listenWs(options: ListenWsOptions = {}): Promise<WsListener> {
  const path = options.path ?? '/';
  const server = createServer();
  if (options.onRequest !== undefined) {
    server.on('request', options.onRequest);
  } else {
    server.on('request', (_request, response) => {
      // Someone else answers requests now.
      if (server.listenerCount('request') > 1) return;
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
    });
  }
  const transport = new WsServerTransport({
    server,
    path,
    ...(options.maxPayload === undefined ? {} : { maxPayload: options.maxPayload }),
    ...(options.closeTimeoutMs === undefined ? {} : { closeTimeoutMs: options.closeTimeoutMs }),
    ...(options.allowOrigins === undefined ? {} : { allowOrigins: options.allowOrigins }),
    ...(options.allowHosts === undefined ? {} : { allowHosts: options.allowHosts }),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = `ws://${urlAuthority(server.address() as AddressInfo)}${path}`;

  let closing: Promise<void> | undefined;
  const closeAll = async (): Promise<void> => {
    await transport.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Idle keep-alive HTTP connections would otherwise hold close() open.
      server.closeAllConnections();
    });
  };
  return {
    server,
    transport,
    url,
    close: () => (closing ??= closeAll()),
  };
}
