import type { CloseInfo, Connection } from '../transport.js';

/**
 * Throws `error` outside the delivery loop, so that a handler that throws surfaces as an uncaught
 * error (as it would from a socket's event listener) without stopping delivery of later frames.
 */
function rethrowLater(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

/**
 * One end of an in-process duplex pair. Frames are copied on `send` and delivered to the other
 * end's handler in a later microtask, in order; a close travels behind the frames sent before it.
 */
class MemoryConnection implements Connection {
  readonly closed: Promise<CloseInfo>;

  /** Set by pair() right after construction. */
  #peer!: MemoryConnection;
  /** Frames from the peer not yet handed to the handler (held while there is no handler). */
  #inbound: Uint8Array[] = [];
  #inboundBytes = 0;
  #handler: ((frame: Uint8Array) => void) | undefined;
  /** Set by pauseReceiving: frames from the peer wait in `#inbound`, counted in its bufferedAmount. */
  #receivingPaused = false;
  /** This side's onDrain listeners: called once the peer has taken every frame sent to it. */
  #drainListeners: (() => void)[] = [];
  #drainScheduled = false;
  /** False once either side has closed: sends are then dropped. */
  #open = true;
  /** True once this side called close(): nothing more is delivered here. */
  #closedLocally = false;
  /** The peer's close, reported once the frames it sent before closing have been delivered. */
  #peerClose: CloseInfo | undefined;
  #settled = false;
  #resolveClosed!: (info: CloseInfo) => void;

  constructor() {
    this.closed = new Promise<CloseInfo>((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  /** Links two fresh ends to each other. */
  static pair(): [MemoryConnection, MemoryConnection] {
    const a = new MemoryConnection();
    const b = new MemoryConnection();
    a.#peer = b;
    b.#peer = a;
    return [a, b];
  }

  /** Bytes this side has sent that the peer's handler has not received yet. */
  get bufferedAmount(): number {
    return this.#peer.#inboundBytes;
  }

  send(frame: Uint8Array): void {
    if (!this.#open) return;
    // A copy: the sender may reuse its buffer, and the receiver must not see the sender's memory.
    this.#peer.#enqueue(frame.slice());
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    this.#handler = handler;
    this.#scheduleDrain();
  }

  onDrain(listener: () => void): void {
    this.#drainListeners.push(listener);
    if (this.bufferedAmount === 0 || !this.#open) queueMicrotask(() => this.#drained());
  }

  /** Holds the peer's frames (they count in the peer's `bufferedAmount`) until called with false. */
  pauseReceiving(paused: boolean): void {
    this.#receivingPaused = paused;
    this.#scheduleDrain();
  }

  close(code: number = 1000, reason: string = ''): void {
    if (!this.#open) {
      // The peer closed first; a close() here only stops any further delivery to this side.
      this.#stopDelivery();
      return;
    }
    this.#open = false;
    this.#stopDelivery();
    this.#settle({ code, reason, local: true });
    this.#peer.#onPeerClose({ code, reason, local: false });
  }

  #enqueue(frame: Uint8Array): void {
    if (this.#closedLocally) return;
    this.#inbound.push(frame);
    this.#inboundBytes += frame.byteLength;
    this.#scheduleDrain();
  }

  #onPeerClose(info: CloseInfo): void {
    if (!this.#open) return;
    this.#open = false;
    this.#peerClose = info;
    this.#scheduleDrain();
  }

  #stopDelivery(): void {
    this.#closedLocally = true;
    this.#inbound = [];
    this.#inboundBytes = 0;
    // Nothing more will be taken or sent: whoever waits for a drain waits no longer.
    queueMicrotask(() => {
      this.#drained();
      this.#peer.#drained();
    });
  }

  #drained(): void {
    const listeners = this.#drainListeners;
    if (listeners.length === 0) return;
    this.#drainListeners = [];
    for (const listener of listeners) listener();
  }

  #scheduleDrain(): void {
    if (this.#drainScheduled) return;
    const framesToDeliver = this.#handler !== undefined && !this.#receivingPaused && this.#inbound.length > 0;
    const closeToReport = this.#peerClose !== undefined && !this.#settled;
    if (!framesToDeliver && !closeToReport) return;
    this.#drainScheduled = true;
    queueMicrotask(() => this.#drain());
  }

  #drain(): void {
    this.#drainScheduled = false;
    // Frames enqueued while the handler runs join the next batch, so the order holds.
    while (this.#handler !== undefined && !this.#receivingPaused && this.#inbound.length > 0 && !this.#closedLocally) {
      const batch = this.#inbound;
      this.#inbound = [];
      for (let index = 0; index < batch.length; index++) {
        if (this.#closedLocally) return;
        if (this.#receivingPaused) {
          // Paused by the handler: the rest waits, in front of what came meanwhile.
          this.#inbound = batch.slice(index).concat(this.#inbound);
          break;
        }
        const frame = batch[index]!;
        this.#inboundBytes -= frame.byteLength;
        try {
          this.#handler(frame);
        } catch (error) {
          rethrowLater(error);
        }
      }
    }
    if (this.#inboundBytes === 0) this.#peer.#drained();
    // Frames held for a handler that is not set yet (or while paused) do not hold the close back.
    if (this.#peerClose !== undefined && (this.#inbound.length === 0 || this.#handler === undefined || this.#receivingPaused)) {
      this.#settle(this.#peerClose);
    }
  }

  #settle(info: CloseInfo): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolveClosed(info);
  }
}

/**
 * Creates two connected in-process connections: what one sends, the other receives. Delivery is
 * asynchronous (a later microtask) and in order; each frame is copied, so neither side sees the
 * other's buffers. `close()` on one end settles both ends' `closed` (`local: true` on the end that
 * called it), the peer's after the frames sent before the close. There is no size limit: the
 * session engine enforces `maxFrameBytes` itself. Runtime-neutral.
 *
 * @example
 * ```ts
 * const [client, server] = createMemoryPair();
 * server.onFrame((frame) => server.send(frame)); // echo
 * client.onFrame((frame) => console.log(frame));
 * client.send(new Uint8Array([1, 2, 3]));
 * ```
 */
export function createMemoryPair(): [Connection, Connection] {
  return MemoryConnection.pair();
}
