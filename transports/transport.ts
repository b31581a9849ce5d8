/**
 * Transports move encoded frames and know nothing of the protocol: connect, send a frame, frames
 * in, close, and a way to learn that it closed and why. Heartbeats, reconnects and resume belong
 * to the client and the session engine. Runtime-neutral: no Node imports here.
 * @module tauon/transports
 */

/** Why a connection closed. */
export interface CloseInfo {
  /** A WebSocket-style close code: 1000 normal, 1006 lost, 1008 policy, 1009 too large, 4000+ Tauon's own. */
  readonly code: number;
  readonly reason: string;
  /** True when this side called `close()`. */
  readonly local: boolean;
}

/** One open, ordered, reliable frame pipe between a client and a server. */
export interface Connection {
  /**
   * Sends one encoded frame. Frames arrive in the order sent. Sending on a closed connection
   * does nothing (the close is reported through `closed`).
   */
  send(frame: Uint8Array): void;
  /**
   * Sets the one handler that receives every frame from the peer, in order. Frames that arrive
   * before a handler is set are held and delivered when it is set.
   */
  onFrame(handler: (frame: Uint8Array) => void): void;
  /**
   * Sets the handler called when the peer sent a frame larger than the transport takes (the
   * WebSocket transport's `maxPayload`); the frame is dropped unread. The handler answers and
   * closes the connection (the session: `error {code: "too-large"}`, close 1009). Without it,
   * or on a transport that has no limit of its own, the transport closes with 1009 itself.
   * Optional: transports that deliver every frame leave the check of its size to the session.
   */
  onTooLarge?(handler: () => void): void;
  /** Closes the connection; idempotent. */
  close(code?: number, reason?: string): void;
  /** Settles (never rejects) once the connection is closed, by either side or by failure. */
  readonly closed: Promise<CloseInfo>;
  /** Bytes handed to `send` that the transport has not yet written out (0 if it cannot tell). */
  readonly bufferedAmount: number;
  /**
   * Calls `listener` once, later (never inside the call), when the outgoing buffer has drained
   * (`bufferedAmount` fell to 0) or the connection closed. The server waits for it before it
   * sends more to a peer that is not reading. Absent where the transport cannot tell: the server
   * then sends without waiting.
   */
  onDrain?(listener: () => void): void;
  /**
   * Stops (`true`) or starts again (`false`) taking frames from the peer: what it sends meanwhile
   * waits in the transport (over TCP, in the peer's socket, which pushes back on it). The server
   * stops reading a peer that does not read its answers. Absent where the transport cannot stop.
   */
  pauseReceiving?(paused: boolean): void;
  /**
   * Runs `work`, whose `send`s go out together (one write where the transport can: a consumer
   * group's deliveries to several partitions). Absent: each send goes out on its own.
   */
  batch?(work: () => void): void;
}

/** Opens client connections to one server. */
export interface ClientTransport {
  /** Opens a new connection; rejects when the server cannot be reached. */
  connect(): Promise<Connection>;
  /** A short description for logs and errors, such as the URL. */
  readonly description: string;
}

/** Accepts connections from clients and hands each to `onConnection`. */
export interface ServerTransport {
  /** Starts accepting; each new connection is passed to the handler. */
  listen(onConnection: (connection: Connection) => void): Promise<void>;
  /** Stops accepting and closes every open connection. */
  close(): Promise<void>;
}

/** Close codes Tauon uses beyond WebSocket's standard ones. */
export const CloseCodes = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  lost: 1006,
  policy: 1008,
  tooLarge: 1009,
  internal: 1011,
  /** The peer sent nothing for three heartbeat intervals. */
  heartbeatTimeout: 4000,
  /** The first frame was not `hello`, or the handshake failed. */
  handshake: 4001,
  /** A frame could not be decoded. */
  badFrame: 4002,
} as const;
