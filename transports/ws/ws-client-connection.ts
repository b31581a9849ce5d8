import type { CloseInfo, Connection } from '../transport.js';
import { closeWithCode } from './close-frame.js';
import { FrameInbox } from './frame-inbox.js';
import { WEBSOCKET_OPEN } from './websocket-like.js';
import type { SocketBinaryType, WebSocketLike } from './websocket-like.js';

const utf8 = new TextEncoder();

/** A message's bytes: binary messages as they are, text messages as UTF-8 (JSON frames). */
function bytesOf(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (typeof data === 'string') return utf8.encode(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/**
 * A {@link Connection} over a WHATWG-style WebSocket (the global one, or the `ws` package's).
 * Its listeners are attached in the constructor, before the socket opens: frames that arrive with
 * the upgrade response are held, not lost. Runtime-neutral.
 */
export class WsClientConnection implements Connection {
  readonly closed: Promise<CloseInfo>;

  readonly #socket: WebSocketLike;
  readonly #inbox = new FrameInbox();
  #localClose: { code: number; reason: string } | undefined;

  /**
   * `binaryType` 'nodebuffer' is for sockets of the `ws` package only (which then hands binary
   * messages over without copying them); every WebSocket takes 'arraybuffer'.
   */
  constructor(socket: WebSocketLike, binaryType: SocketBinaryType = 'arraybuffer') {
    this.#socket = socket;
    socket.binaryType = binaryType;
    socket.addEventListener('message', (event) => {
      const bytes = bytesOf(event.data);
      if (bytes !== undefined) this.#inbox.deliver(bytes);
    });
    // `ws` throws an 'error' that has no listener; the close event that follows says what happened.
    socket.addEventListener('error', () => undefined);
    this.closed = new Promise<CloseInfo>((resolve) => {
      socket.addEventListener('close', (event) => {
        resolve(
          this.#localClose !== undefined
            ? { ...this.#localClose, local: true }
            : { code: event.code, reason: event.reason, local: false },
        );
      });
    });
  }

  /** Bytes handed to the WebSocket that it has not written out yet. */
  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  send(frame: Uint8Array): void {
    if (this.#socket.readyState !== WEBSOCKET_OPEN) return;
    this.#socket.send(frame);
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    this.#inbox.setHandler(handler);
  }

  close(code: number = 1000, reason: string = ''): void {
    if (this.#localClose !== undefined) return;
    this.#inbox.stop();
    // Already closing: the peer started it, and that is what `closed` will report.
    if (this.#socket.readyState !== WEBSOCKET_OPEN) return;
    this.#localClose = closeWithCode(this.#socket, code, reason);
  }

  /** Gives up on a socket that is still connecting. */
  abort(): void {
    this.#inbox.stop();
    this.#socket.close();
  }
}
