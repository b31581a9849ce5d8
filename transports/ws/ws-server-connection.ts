import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { AnsweringWebSocket } from './answering-web-socket.js';
import type { CloseInfo, Connection } from '../transport.js';
import { closeWithCode } from './close-frame.js';
import { FrameInbox } from './frame-inbox.js';

/**
 * The close code `ws` sends when it fails a connection over a bad incoming message, by the error
 * code it raises. `ws` reports such a connection's own close as 1006 (it stops reading before the
 * peer's answer), so the code it sent is what says why.
 */
const CLOSE_CODE_OF_WS_ERROR: Readonly<Record<string, number>> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1009,
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: 1009,
  WS_ERR_INVALID_UTF8: 1007,
  WS_ERR_TOO_MANY_BUFFERED_PARTS: 1008,
};

/** The close code `ws` sent for one of its protocol errors (1002 for the rest), else undefined. */
function closeCodeOfWsError(error: Error): number | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('WS_ERR_')) return undefined;
  return CLOSE_CODE_OF_WS_ERROR[code] ?? 1002;
}

/**
 * How often a drain is looked for while the bytes waiting are below the socket's own high-water
 * mark: the socket says 'drain' only after it was full.
 */
const DRAIN_POLL_MS = 5;

/** A message's bytes as a plain Uint8Array view (no copy). */
function bytesOf(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * A {@link Connection} over one server-side `ws` socket. Binary and text messages are both frames
 * (text as its UTF-8 bytes). Frames go out as binary messages, unless the peer's first message was
 * text: then they go out as text, so that a JSON peer reading text messages (a browser console, a
 * command line client) can read the answers. `send` hands the bytes to the socket without copying:
 * do not change them afterwards.
 */
export class WsServerConnection implements Connection {
  readonly closed: Promise<CloseInfo>;

  readonly #socket: WebSocket;
  readonly #inbox = new FrameInbox();
  #localClose: { code: number; reason: string } | undefined;
  #failure: { code: number; reason: string } | undefined;
  #sendText: boolean | undefined;
  /** The TCP (or TLS) socket under `ws`, which says when what was written has gone out. */
  readonly #wire: Duplex | undefined;
  #drainListeners: (() => void)[] = [];

  /**
   * @param socket The `ws` socket.
   * @param wire The socket it runs on (the upgrade's), to learn when the outgoing bytes drained;
   *   without it `onDrain` waits by polling.
   */
  constructor(socket: WebSocket, wire?: Duplex) {
    this.#socket = socket;
    this.#wire = wire;
    socket.binaryType = 'nodebuffer';
    socket.on('message', (data, isBinary) => {
      this.#sendText ??= !isBinary;
      this.#inbox.deliver(bytesOf(data));
    });
    // Also keeps an 'error' from being thrown as an unhandled EventEmitter error.
    socket.on('error', (error) => {
      const code = closeCodeOfWsError(error);
      if (code !== undefined) this.#failure ??= { code, reason: error.message };
    });
    this.closed = new Promise<CloseInfo>((resolve) => {
      socket.once('close', (code, reason) => resolve(this.#closeInfo(code, reason.toString())));
    });
    void this.closed.then(() => this.#drained());
  }

  /** Bytes queued in `ws` and in the socket, not yet written out. */
  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  send(frame: Uint8Array): void {
    if (this.#socket.readyState !== this.#socket.OPEN) return;
    this.#socket.send(frame, { binary: this.#sendText !== true });
  }

  /** `ws` writes every message with a system call of its own: the socket is corked meanwhile. */
  batch(work: () => void): void {
    const wire = this.#wire;
    if (wire === undefined) {
      work();
      return;
    }
    wire.cork();
    try {
      work();
    } finally {
      wire.uncork();
    }
  }

  onDrain(listener: () => void): void {
    this.#drainListeners.push(listener);
    if (this.#drainListeners.length === 1) this.#watchDrain();
  }

  /** Pauses the socket's reading: the peer's frames wait in TCP, which pushes back on it. */
  pauseReceiving(paused: boolean): void {
    if (paused) this.#socket.pause();
    else this.#socket.resume();
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    this.#inbox.setHandler(handler);
  }

  onTooLarge(handler: () => void): void {
    // Sockets of the transport's server are AnsweringWebSockets; another closes with 1009 alone.
    if (this.#socket instanceof AnsweringWebSocket) this.#socket.onTooLarge = handler;
  }

  close(code: number = 1000, reason: string = ''): void {
    if (this.#localClose !== undefined) return;
    this.#inbox.stop();
    // Already closing: the peer or a failure started it, and that is what `closed` will report.
    if (this.#socket.readyState !== this.#socket.OPEN) return;
    this.#localClose = closeWithCode(this.#socket, code, reason);
  }

  /** Destroys the socket at once, without a close handshake (for a peer that does not answer). */
  terminate(): void {
    this.#inbox.stop();
    this.#socket.terminate();
  }

  #watchDrain(): void {
    if (this.#drainListeners.length === 0) return;
    // A closing socket still writes out what it holds, then says 'close' (which drains too).
    if (this.bufferedAmount === 0 || this.#socket.readyState === this.#socket.CLOSED) {
      queueMicrotask(() => this.#drained());
    } else if (this.#wire?.writableNeedDrain === true) {
      this.#wire.once('drain', () => this.#watchDrain());
    } else {
      setTimeout(() => this.#watchDrain(), DRAIN_POLL_MS);
    }
  }

  #drained(): void {
    const listeners = this.#drainListeners;
    if (listeners.length === 0) return;
    this.#drainListeners = [];
    for (const listener of listeners) listener();
  }

  #closeInfo(code: number, reason: string): CloseInfo {
    if (this.#localClose !== undefined) return { ...this.#localClose, local: true };
    // Failed by `ws` over the peer's message, not by anyone calling close(): not local.
    if (this.#failure !== undefined) return { ...this.#failure, local: false };
    return { code, reason, local: false };
  }
}
