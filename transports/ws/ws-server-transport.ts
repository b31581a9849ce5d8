import type { IncomingMessage, Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { ServerOptions, WebSocket } from 'ws';
import { TauonError } from '../../protocol/errors.js';
import type { Connection, ServerTransport } from '../transport.js';
import { CloseCodes } from '../transport.js';
import { BrowserGuard, REFUSAL_STATUS_TEXT, type BrowserGuardOptions } from './browser-guard.js';
import { WsServerConnection } from './ws-server-connection.js';
import { AnsweringWebSocket } from './answering-web-socket.js';

/**
 * Options of {@link WsServerTransport}. `allowOrigins` and `allowHosts` say which browser pages
 * may upgrade (see {@link BrowserGuardOptions}): by default only pages of the server's own origin,
 * and on loopback only requests for loopback names; clients that send no Origin (programs) pass.
 */
export interface WsServerTransportOptions extends BrowserGuardOptions {
  /**
   * The HTTP or HTTPS server to ride on (HTTPS: the transport serves `wss:`); it keeps serving
   * its other requests. It is not closed by `close()`.
   */
  readonly server: Server | HttpsServer;
  /**
   * The URL path that upgrades to WebSocket (the query string is ignored).
   * @default '/'
   */
  readonly path?: string;
  /**
   * The largest message accepted, in bytes. A larger one is dropped unread, and its connection
   * is told so by `onTooLarge` (the session answers `too-large`) and closed with 1009. Keep it
   * at least the server's `maxFrameBytes`, which the session checks on every frame.
   * @default 1048576
   */
  readonly maxPayload?: number;
  /**
   * How long a close handshake may take before the socket is destroyed, in ms.
   * @default 5000
   */
  readonly closeTimeoutMs?: number;
}

/** The protocol's default maxFrameBytes: 1 MiB. */
const DEFAULT_MAX_PAYLOAD = 1_048_576;
const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;

/** The path part of a request target (`/tauon?token=x` -> `/tauon`). */
function pathOf(url: string | undefined): string {
  const target = url ?? '/';
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

/** Answers an upgrade request with a plain HTTP status (and `body`, else the reason) and closes its socket. */
function refuseUpgrade(socket: Duplex, status: number, text: string, body: string = text): void {
  // The client may already be gone; a write error then is of no interest.
  socket.on('error', () => undefined);
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Waits for `promise` at most `ms` milliseconds; true when it settled in time. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The WebSocket server transport: accepts WebSocket upgrades on one path of an existing Node HTTP
 * server, so that the same server also answers plain HTTP requests (the HTTP API). Upgrades for
 * other paths are left to other 'upgrade' listeners, or refused with 404 when there are none.
 * Node only.
 *
 * @example
 * ```ts
 * const httpServer = createServer(httpApi);
 * const transport = new WsServerTransport({ server: httpServer, path: '/tauon' });
 * await transport.listen((connection) => engine.accept(connection));
 * httpServer.listen(8080);
 * ```
 */
export class WsServerTransport implements ServerTransport {
  /** The path that upgrades to WebSocket. */
  readonly path: string;
  /** The largest message accepted, in bytes. */
  readonly maxPayload: number;

  readonly #server: Server | HttpsServer;
  readonly #closeTimeoutMs: number;
  readonly #guard: BrowserGuard;
  readonly #open = new Set<WsServerConnection>();
  #webSocketServer: WebSocketServer | undefined;
  #onConnection: ((connection: Connection) => void) | undefined;
  #closing: Promise<void> | undefined;

  readonly #upgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    this.#onUpgrade(request, socket, head);
  };

  constructor(options: WsServerTransportOptions) {
    this.#server = options.server;
    this.path = options.path ?? '/';
    this.maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
    this.#guard = new BrowserGuard(options);
  }

  listen(onConnection: (connection: Connection) => void): Promise<void> {
    if (this.#closing !== undefined) {
      return Promise.reject(new TauonError('closed', `WebSocket transport on ${this.path} is closed`));
    }
    if (this.#onConnection !== undefined) {
      return Promise.reject(new TauonError('internal', `WebSocket transport on ${this.path} is already listening`));
    }
    // closeTimeout is a ws 8.23 option that @types/ws does not list yet.
    const options: ServerOptions & { closeTimeout: number } = {
      noServer: true,
      maxPayload: this.maxPayload,
      clientTracking: false,
      perMessageDeflate: false,
      closeTimeout: this.#closeTimeoutMs,
      // Answers a message above maxPayload before closing (answering-web-socket.ts).
      WebSocket: AnsweringWebSocket,
    };
    this.#webSocketServer = new WebSocketServer(options);
    this.#onConnection = onConnection;
    this.#server.on('upgrade', this.#upgradeListener);
    return Promise.resolve();
  }

  /**
   * Stops accepting and closes every open connection (code 1001, going away). Connections whose
   * peer does not answer within the close timeout are destroyed. The HTTP server is left running.
   */
  close(): Promise<void> {
    this.#closing ??= this.#closeAll();
    return this.#closing;
  }

  async #closeAll(): Promise<void> {
    this.#server.off('upgrade', this.#upgradeListener);
    this.#onConnection = undefined;
    const open = [...this.#open];
    for (const connection of open) connection.close(CloseCodes.goingAway, 'server closing');
    const allClosed = Promise.all(open.map((connection) => connection.closed));
    if (!(await settlesWithin(allClosed, this.#closeTimeoutMs))) {
      for (const connection of open) connection.terminate();
      await allClosed;
    }
    const webSocketServer = this.#webSocketServer;
    if (webSocketServer !== undefined) {
      await new Promise<void>((resolve) => webSocketServer.close(() => resolve()));
    }
  }

  #onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (pathOf(request.url) !== this.path) {
      // Another 'upgrade' listener may serve that path; with none, answer rather than hang.
      if (this.#server.listenerCount('upgrade') <= 1) refuseUpgrade(socket, 404, 'Not Found');
      return;
    }
    // Before any frame: a page that may not use this server never gets a socket.
    const refusal = this.#guard.check(request);
    if (refusal !== undefined) {
      refuseUpgrade(socket, refusal.status, REFUSAL_STATUS_TEXT[refusal.status], refusal.message);
      return;
    }
    const webSocketServer = this.#webSocketServer;
    if (webSocketServer === undefined || this.#closing !== undefined) {
      refuseUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    webSocketServer.handleUpgrade(request, socket, head, (webSocket) => this.#accept(webSocket, socket));
  }

  #accept(webSocket: WebSocket, wire: Duplex): void {
    const connection = new WsServerConnection(webSocket, wire);
    const onConnection = this.#onConnection;
    // The upgrade may finish after close() began.
    if (onConnection === undefined) {
      connection.close(CloseCodes.goingAway, 'server closing');
      return;
    }
    this.#open.add(connection);
    void connection.closed.then(() => this.#open.delete(connection));
    try {
      onConnection(connection);
    } catch (error) {
      // One connection's failure must not take the server down; the peer learns why.
      const message = error instanceof Error ? error.message : String(error);
      connection.close(CloseCodes.internal, `connection handler failed: ${message}`);
    }
  }
}
