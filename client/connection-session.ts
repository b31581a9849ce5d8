import type { Codec } from '../protocol/codec.js';
import { ConnectionClosedError, errorFromWire, TauonError } from '../protocol/errors.js';
import type { ClientFrame, ServerFrame, ServerLimits, WelcomeFrame } from '../protocol/frames.js';
import { decodeFrame, parseServerFrame } from '../protocol/validate.js';
import { SUPPORTED_VERSIONS } from '../protocol/version.js';
import { CloseCodes } from '../transports/transport.js';
import type { CloseInfo, Connection } from '../transports/transport.js';
import { asTauonError, HandshakeRejectedError } from './errors.js';
import type { GroupSender } from './group-member.js';

/** What a session needs to open. */
export interface SessionOptions {
  readonly codec: Codec;
  readonly token?: string | undefined;
  readonly clientName?: string | undefined;
  /** How long to wait for `welcome` (or `reject`) after sending `hello`. */
  readonly handshakeTimeoutMs: number;
}

/** How many silent heartbeat intervals make the server dead. */
export const DEAD_AFTER_INTERVALS = 3;

/** The largest close reason a WebSocket carries is 123 bytes; keep ours well inside it. */
const MAX_CLOSE_REASON = 100;

/** Pings remembered for their pongs: a server that answers none does not make the map grow. */
const MAX_PINGS_AWAITED = 64;

/**
 * One protocol session over one {@link Connection}: the handshake (`hello` -> `welcome` or
 * `reject`), decoding and validating every frame the server sends, and the keep-alive (ping when
 * nothing was sent for one heartbeat interval, answer the server's pings, give up on a server
 * silent for three intervals). It never reconnects; the client opens a new session for that.
 *
 * A frame that cannot be decoded or fails validation is a protocol violation: the session ends
 * with that error and closes the connection.
 */
export class ConnectionSession implements GroupSender {
  /**
   * Sends `hello` on the connection and resolves with the session once `welcome` arrives. Rejects
   * with {@link HandshakeRejectedError} on `reject`, with a `timeout` error when no answer comes in
   * time, with `ConnectionClosedError` when the connection closes first, or with the protocol
   * error when the server answers with anything else.
   */
  static open(connection: Connection, options: SessionOptions): Promise<ConnectionSession> {
    const session = new ConnectionSession(connection, options);
    return session.ready.then(() => session);
  }

  /** Settles (never rejects) with the reason once the session has ended, for whatever cause. */
  readonly ended: Promise<TauonError>;

  private phase: 'handshake' | 'open' | 'ended' = 'handshake';
  private welcomeFrame: WelcomeFrame | undefined;
  private handler: ((frame: ServerFrame) => void) | undefined;
  /** Frames that came after `welcome` and before {@link ConnectionSession.start}. */
  private held: ServerFrame[] = [];
  private lastSent = 0;
  private lastReceived = 0;
  private nextNonce = 1;
  /** When each ping still awaiting its pong was sent, by nonce. */
  private readonly pingsSent = new Map<number, number>();
  private pongListener: ((sentAt: number) => void) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly ready: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (error: TauonError) => void;
  private resolveEnded!: (error: TauonError) => void;

  private constructor(
    private readonly connection: Connection,
    private readonly options: SessionOptions,
  ) {
    this.ended = new Promise((resolve) => {
      this.resolveEnded = resolve;
    });
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.lastReceived = Date.now();
    connection.onFrame((bytes) => {
      this.receive(bytes);
    });
    void connection.closed.then((info) => {
      this.end(new ConnectionClosedError(describeClose(info)));
    });
    this.timer = setTimeout(() => {
      this.fail(
        new TauonError('timeout', `no answer to hello within ${options.handshakeTimeoutMs} ms`),
        CloseCodes.handshake,
      );
    }, options.handshakeTimeoutMs);
    const hello: ClientFrame = { type: 'hello', versions: [...SUPPORTED_VERSIONS] };
    if (options.token !== undefined) hello.token = options.token;
    if (options.clientName !== undefined) hello.client = options.clientName;
    this.send(hello);
  }

  /** The server's `welcome`. */
  get welcome(): WelcomeFrame {
    if (this.welcomeFrame === undefined) throw new TauonError('protocol', 'the session has no welcome yet');
    return this.welcomeFrame;
  }

  /** The server's limits from `welcome`. */
  get limits(): ServerLimits {
    return this.welcome.limits;
  }

  /** The optional parts of the protocol the server serves (`welcome.features`). */
  get features(): readonly string[] {
    return this.welcome.features ?? [];
  }

  /** True until the session has ended. */
  get isOpen(): boolean {
    return this.phase === 'open';
  }

  /**
   * Starts handing the server's frames (other than ping/pong, which the session answers itself)
   * to `handler`, first those that arrived since `welcome`.
   */
  start(handler: (frame: ServerFrame) => void): void {
    this.handler = handler;
    const held = this.held;
    this.held = [];
    for (const frame of held) {
      if (this.phase !== 'open') return;
      this.dispatch(frame);
    }
  }

  /**
   * Tells `listener` of every pong that answers a ping of this session (the keep-alive's and
   * {@link ConnectionSession.ping}'s), with the time the ping was sent: the server heard from the
   * client at that time or later (a group member's lease is sure until then plus its length).
   */
  onPong(listener: (sentAt: number) => void): void {
    this.pongListener = listener;
  }

  /** Sends a `ping` now (the keep-alive sends its own when the connection is quiet). */
  ping(): void {
    if (this.phase !== 'open') return;
    const nonce = this.nextNonce;
    this.nextNonce = this.nextNonce >= Number.MAX_SAFE_INTEGER ? 1 : this.nextNonce + 1;
    this.pingsSent.set(nonce, Date.now());
    if (this.pingsSent.size > MAX_PINGS_AWAITED) {
      const oldest = this.pingsSent.keys().next().value;
      if (oldest !== undefined) this.pingsSent.delete(oldest);
    }
    this.send({ type: 'ping', nonce });
  }

  /** Encodes and sends one frame; does nothing once the session has ended. */
  send(frame: ClientFrame): void {
    this.sendEncoded(this.encode(frame));
  }

  /** Encodes a frame with the session's codec; throws when the frame cannot be encoded. */
  encode(frame: ClientFrame): Uint8Array {
    return this.options.codec.encode(frame);
  }

  /** Sends an already encoded frame; does nothing once the session has ended. */
  sendEncoded(bytes: Uint8Array): void {
    if (this.phase === 'ended') return;
    this.lastSent = Date.now();
    this.connection.send(bytes);
  }

  /**
   * Ends the session because of a protocol violation (or a keep-alive timeout) and closes the
   * connection with `closeCode`. Idempotent.
   */
  fail(error: TauonError, closeCode: number = CloseCodes.protocolError): void {
    if (this.phase === 'ended') return;
    this.end(error);
    this.connection.close(closeCode, error.message.slice(0, MAX_CLOSE_REASON));
  }

  /** Ends the session from this side and closes the connection; resolves once it is closed. */
  async close(): Promise<void> {
    if (this.phase !== 'ended') {
      this.end(new ConnectionClosedError('the client closed the connection'));
      this.connection.close(CloseCodes.normal, 'client closed');
    }
    await this.connection.closed;
  }

  private receive(bytes: Uint8Array): void {
    if (this.phase === 'ended') return;
    this.lastReceived = Date.now();
    let decoded: unknown;
    let frame: ServerFrame;
    try {
      decoded = decodeFrame(this.options.codec, bytes);
    } catch (error) {
      this.fail(asTauonError(error, 'bad-frame', 'undecodable frame from the server'), CloseCodes.badFrame);
      return;
    }
    try {
      frame = parseServerFrame(decoded);
    } catch (error) {
      this.fail(asTauonError(error, 'bad-frame', 'invalid frame from the server'), CloseCodes.protocolError);
      return;
    }
    if (this.phase === 'handshake') {
      this.handshake(frame);
      return;
    }
    switch (frame.type) {
      case 'ping':
        this.send(frame.nonce === undefined ? { type: 'pong' } : { type: 'pong', nonce: frame.nonce });
        return;
      case 'pong':
        // Any frame is a sign of life; a pong also dates what the server has heard from us.
        if (frame.nonce !== undefined) this.onPongFrame(frame.nonce);
        return;
      case 'welcome':
      case 'reject':
        this.fail(new TauonError('protocol', `unexpected "${frame.type}" after the handshake`));
        return;
      default:
        if (this.handler === undefined) this.held.push(frame);
        else this.dispatch(frame);
    }
  }

  private onPongFrame(nonce: number): void {
    const sentAt = this.pingsSent.get(nonce);
    if (sentAt === undefined) return;
    // Pongs come in order: the pings sent before this one are answered or lost.
    for (const [awaited] of this.pingsSent) {
      this.pingsSent.delete(awaited);
      if (awaited === nonce) break;
    }
    this.pongListener?.(sentAt);
  }

  private dispatch(frame: ServerFrame): void {
    try {
      this.handler?.(frame);
    } catch (error) {
      // A failure in the client's own handling must not leave the session half-processed.
      this.fail(asTauonError(error, 'internal', 'the client failed to handle a frame'), CloseCodes.internal);
    }
  }

  private handshake(frame: ServerFrame): void {
    switch (frame.type) {
      case 'welcome':
        if (!SUPPORTED_VERSIONS.includes(frame.version)) {
          this.fail(new TauonError('unsupported-version', `the server chose protocol version ${frame.version}`));
          return;
        }
        this.welcomeFrame = frame;
        this.phase = 'open';
        clearTimeout(this.timer);
        this.scheduleKeepAlive();
        this.resolveReady();
        return;
      case 'reject':
        this.fail(new HandshakeRejectedError(frame.code, frame.message, frame.versions), CloseCodes.normal);
        return;
      case 'error':
        this.fail(errorFromWire(frame.code, frame.message, frame.details), CloseCodes.handshake);
        return;
      default:
        this.fail(new TauonError('protocol', `expected "welcome", got "${frame.type}"`), CloseCodes.handshake);
    }
  }

  private end(error: TauonError): void {
    if (this.phase === 'ended') return;
    const wasHandshake = this.phase === 'handshake';
    this.phase = 'ended';
    clearTimeout(this.timer);
    this.timer = undefined;
    this.held = [];
    if (wasHandshake) this.rejectReady(error);
    this.resolveEnded(error);
  }

  // One timer, rearmed lazily: sends and receipts only move timestamps, so the hot path never
  // touches a timer.
  private scheduleKeepAlive(): void {
    const interval = this.welcome.heartbeat;
    const due = Math.min(this.lastSent + interval, this.lastReceived + DEAD_AFTER_INTERVALS * interval);
    this.timer = setTimeout(() => {
      this.keepAlive();
    }, Math.max(1, due - Date.now()));
  }

  private keepAlive(): void {
    this.timer = undefined;
    if (this.phase !== 'open') return;
    const interval = this.welcome.heartbeat;
    const now = Date.now();
    if (now - this.lastReceived >= DEAD_AFTER_INTERVALS * interval) {
      this.fail(
        new TauonError('timeout', `the server sent nothing for ${DEAD_AFTER_INTERVALS * interval} ms`),
        CloseCodes.heartbeatTimeout,
      );
      return;
    }
    if (now - this.lastSent >= interval) this.ping();
    this.scheduleKeepAlive();
  }
}

function describeClose(info: CloseInfo): string {
  const who = info.local ? 'closed' : 'closed by the server';
  return `connection ${who} (code ${info.code}${info.reason === '' ? '' : `: ${info.reason}`})`;
}
