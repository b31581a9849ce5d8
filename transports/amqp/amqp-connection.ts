import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import type { CloseInfo, Connection } from '../transport.js';
import { CloseCodes } from '../transport.js';
import { FrameInbox } from '../ws/frame-inbox.js';
import { ContentTypes, MessageTypes, closeHeaders, closeOfHeaders, contentTypeOf, sendableClose } from './binding.js';
import type { BrokerLink } from './broker-link.js';

/** The queues of one session, seen from one side. */
export interface SessionQueues {
  /** The queue this side consumes (the client's reply queue, or the server's session queue). */
  readonly own: string;
  /** The consumer tag of this side's consumer on `own`. */
  readonly consumerTag: string;
  /** The queue this side publishes to: the peer's own queue. */
  readonly peer: string;
}

const EMPTY = Buffer.alloc(0);

/** Publish options of a frame, by codec: made once, as amqplib only reads them. */
const FRAME_OPTIONS = {
  [ContentTypes.json]: { contentType: ContentTypes.json, mandatory: true },
  [ContentTypes.msgpack]: { contentType: ContentTypes.msgpack, mandatory: true },
} as const;

/** A Buffer over a frame's bytes, without copying. */
function bufferOf(frame: Uint8Array): Buffer {
  return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
}

/** A plain Uint8Array view of a message body, without copying. */
function bytesOf(content: Buffer): Uint8Array {
  return new Uint8Array(content.buffer, content.byteOffset, content.byteLength);
}

/**
 * One side of an AMQP session (either side: the binding is symmetric once the session is open).
 * Frames go to the peer's queue, one message each; messages on this side's queue are frames, or
 * the binding's own messages (close, flush). Owns its own queue and deletes it when the session
 * ends, before `closed` settles.
 *
 * A returned message means the peer's queue is gone: the peer closed (its close message is then
 * already in this side's queue, behind the frames it sent first) or died. To tell which without a
 * timer, this side publishes a flush marker to its own queue and reads on until the marker: a
 * close message before it is the peer's close; the marker first means the peer was lost (1006).
 */
export class AmqpConnection implements Connection {
  readonly closed: Promise<CloseInfo>;

  readonly #link: BrokerLink;
  readonly #queues: SessionQueues;
  readonly #inbox = new FrameInbox();
  readonly #unsubscribe: (() => void)[] = [];
  readonly #onEnded: (() => void) | undefined;
  /**
   * open: frames flow. draining: the peer's queue is gone, reading up to the flush marker.
   * ending: closing, own queue being deleted. ended: `closed` settled.
   */
  #state: 'open' | 'draining' | 'ending' | 'ended' = 'open';
  #flushId: string | undefined;
  #resolveClosed!: (info: CloseInfo) => void;
  /** Bytes this side published since the link's write buffer last became full (see bufferedAmount). */
  #publishedWhileFull = 0;
  /** The link's drain count when `#publishedWhileFull` started counting. */
  #fullSince = -1;
  #drainListeners: (() => void)[] = [];

  /**
   * @param link The broker link the session's queues live on.
   * @param queues The session's queues, seen from this side.
   * @param onEnded Called once `closed` has settled.
   */
  constructor(link: BrokerLink, queues: SessionQueues, onEnded?: () => void) {
    this.#link = link;
    this.#queues = queues;
    this.#onEnded = onEnded;
    this.closed = new Promise<CloseInfo>((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#unsubscribe.push(
      link.onReturn(queues.peer, () => this.#peerQueueGone()),
      // The flush marker itself came back: this side's queue is gone too.
      link.onReturn(queues.own, () => this.#lose('the session queue is gone')),
      link.onDown((why) => this.#lose(why)),
    );
  }

  /** The session's queues, seen from this side. */
  get queues(): SessionQueues {
    return this.#queues;
  }

  /**
   * The bytes this side published while amqplib's write buffer for the link was full (0 while it
   * is not). amqplib does not say how many bytes it holds, only when it holds too many; the link
   * is shared by the sessions of a server, so each counts what it added past that point.
   */
  get bufferedAmount(): number {
    return this.#link.full && this.#fullSince === this.#link.drains ? this.#publishedWhileFull : 0;
  }

  /**
   * Publishes one frame to the peer's queue. The bytes are handed to amqplib without a copy: do
   * not change them afterwards.
   */
  send(frame: Uint8Array): void {
    if (this.#state !== 'open') return;
    const link = this.#link;
    link.publish(this.#queues.peer, bufferOf(frame), FRAME_OPTIONS[contentTypeOf(frame)]);
    if (!link.full) return;
    if (this.#fullSince !== link.drains) {
      this.#fullSince = link.drains;
      this.#publishedWhileFull = 0;
    }
    this.#publishedWhileFull += frame.byteLength;
  }

  /** Calls `listener` once amqplib's write buffer for the link drained, or the session ended. */
  onDrain(listener: () => void): void {
    this.#drainListeners.push(listener);
    if (this.#drainListeners.length === 1) this.#link.onDrain(() => this.#drained());
  }

  #drained(): void {
    const listeners = this.#drainListeners;
    this.#drainListeners = [];
    for (const listener of listeners) listener();
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    this.#inbox.setHandler(handler);
  }

  /**
   * Sends a close message to the peer's queue, then deletes this side's queue; `closed` settles
   * (local) once it is gone. Codes a WebSocket close frame may not carry are sent as 1000.
   */
  close(code: number = CloseCodes.normal, reason: string = ''): void {
    if (this.#state === 'ending' || this.#state === 'ended') return;
    this.#state = 'ending';
    this.#inbox.stop();
    const sent = sendableClose(code, reason);
    this.#link.publish(this.#queues.peer, EMPTY, {
      type: MessageTypes.close,
      headers: closeHeaders(sent),
      replyTo: this.#queues.own,
      mandatory: true,
    });
    void this.#end({ ...sent, local: true });
  }

  /**
   * Takes one message from this side's queue (the consumer callback). `null` is amqplib's word
   * for a consumer the broker cancelled. Never throws, except what the frame handler throws,
   * which is rethrown outside, as from a socket's listener.
   */
  receive(message: ConsumeMessage | null): void {
    if (this.#state === 'ending' || this.#state === 'ended') return;
    if (message === null) {
      this.#lose('the broker cancelled the consumer of the session queue');
      return;
    }
    const { type, replyTo, correlationId, headers } = message.properties as {
      type?: unknown;
      replyTo?: unknown;
      correlationId?: unknown;
      headers?: Record<string, unknown>;
    };
    if (type === undefined || type === '') {
      this.#deliver(bytesOf(message.content));
      return;
    }
    switch (type) {
      case MessageTypes.close:
        // A close names the sender's queue; one from another session (a stale duplicate) is not ours.
        if (typeof replyTo === 'string' && replyTo !== this.#queues.peer) return;
        this.#state = 'ending';
        void this.#end({ ...closeOfHeaders(headers), local: false });
        return;
      case MessageTypes.flush:
        if (this.#state === 'draining' && correlationId === this.#flushId) {
          this.#lose('the peer is gone: its queue was deleted without a close');
        }
        return;
      case MessageTypes.accept:
        // A second accept for one request (the request was delivered twice): close that session.
        if (typeof replyTo === 'string' && replyTo !== this.#queues.peer) this.#closeStray(replyTo);
        return;
      default:
        // Types this binding does not know are reserved for later revisions: ignored.
        return;
    }
  }

  #deliver(frame: Uint8Array): void {
    try {
      this.#inbox.deliver(frame);
    } catch (error) {
      // A throwing handler must not reach amqplib (it would take the channel down).
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  #closeStray(sessionQueue: string): void {
    const sent = sendableClose(CloseCodes.normal, 'duplicate session');
    this.#link.publish(sessionQueue, EMPTY, {
      type: MessageTypes.close,
      headers: closeHeaders(sent),
      replyTo: this.#queues.own,
      mandatory: true,
    });
  }

  #peerQueueGone(): void {
    if (this.#state !== 'open') return;
    this.#state = 'draining';
    this.#flushId = randomUUID();
    this.#link.publish(this.#queues.own, EMPTY, {
      type: MessageTypes.flush,
      correlationId: this.#flushId,
      mandatory: true,
    });
  }

  /** Ends the session as lost (1006), unless it is already ending. */
  #lose(why: string): void {
    if (this.#state === 'ending' || this.#state === 'ended') return;
    this.#state = 'ending';
    void this.#end({ code: CloseCodes.lost, reason: why, local: false });
  }

  /** Deletes this side's queue (nothing to do when the link is down: it went with it), then settles. */
  async #end(info: CloseInfo): Promise<void> {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    await this.#link.deleteQueue(this.#queues.own, this.#queues.consumerTag);
    this.#state = 'ended';
    this.#resolveClosed(info);
    this.#drained();
    this.#onEnded?.();
  }
}
