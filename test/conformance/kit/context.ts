import type { CodecName } from '../../../protocol/codec.js';
import type { EventInput, ServerFrame, ServerLimits, StoredEvent, WelcomeFrame } from '../../../protocol/frames.js';
import { RawPeer } from '../raw-peer.js';
import type { ServerUnderTest } from './server-under-test.js';

/** A name part no other run of the kit uses: the kit runs against servers that hold data, and twice in a row. */
function runLabel(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
}

/** An answer to a request: the frame that carries its id. */
export type Answer = Extract<ServerFrame, { id?: number }>;

/**
 * What a case works with: connections to the server under test (closed after the case), names
 * and event ids no other case or run uses, and what the server announced in its `welcome`.
 */
export class KitContext {
  private readonly peers: RawPeer[] = [];
  private counter = 0;

  constructor(
    readonly server: ServerUnderTest,
    /** The `welcome` the server sent the kit's first connection: its limits and heartbeat. */
    readonly welcome: WelcomeFrame,
    /** Unique to this run of the kit. */
    readonly run: string = runLabel(),
  ) {}

  get limits(): ServerLimits {
    return this.welcome.limits;
  }

  /** The server's keep-alive interval, in ms. */
  get heartbeatMs(): number {
    return this.welcome.heartbeat;
  }

  /** A raw connection on which nothing was sent yet (no `hello`). */
  async connect(codec: CodecName = 'msgpack'): Promise<RawPeer> {
    const peer = await RawPeer.connect(() => this.server.connect(), codec);
    this.peers.push(peer);
    return peer;
  }

  /** A connection after the handshake, with the server's token unless another is given. */
  async open(options: { codec?: CodecName; token?: string } = {}): Promise<RawPeer> {
    const token = options.token ?? this.server.token;
    const peer = await RawPeer.open(() => this.server.connect(), {
      codec: options.codec ?? 'msgpack',
      ...(token === undefined ? {} : { token }),
    });
    this.peers.push(peer);
    return peer;
  }

  /** A `hello` frame with the server's token (for cases that send it themselves). */
  hello(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { type: 'hello', versions: [1], ...(this.server.token === undefined ? {} : { token: this.server.token }), ...extra };
  }

  /** A stream name no other case or run uses: `conf-<run>-<label>-<n>`, or under another prefix. */
  stream(label = 's', prefix = 'conf-'): string {
    this.counter += 1;
    return `${prefix}${this.run}-${label}-${this.counter}`;
  }

  /** An event id no other case or run uses. */
  eventId(label = 'e'): string {
    this.counter += 1;
    return `${label}-${this.run}-${this.counter}`;
  }

  /** `count` events with fresh ids, of one type, with `data: {n}` counting from `from`. */
  events(count: number, type = 'Tested', from = 1): (EventInput & { id: string })[] {
    return Array.from({ length: count }, (_, i) => ({ id: this.eventId(type), type, data: { n: from + i } }));
  }

  /** Sends a request with a fresh id and waits for its answer (the frame that carries the id). */
  async ask(peer: RawPeer, frame: Record<string, unknown>, timeoutMs?: number): Promise<Answer> {
    const id = peer.id();
    peer.send({ ...frame, id });
    return (await peer.next((answer) => 'id' in answer && answer.id === id, timeoutMs)) as Answer;
  }

  /** Appends and waits for the answer (`appended` or `error`). */
  append(peer: RawPeer, stream: string, events: readonly object[], extra: Record<string, unknown> = {}): Promise<Answer> {
    return this.ask(peer, { type: 'append', stream, events, ...extra });
  }

  /** Appends what must succeed; throws with the server's answer when it does not. */
  async appendOk(peer: RawPeer, stream: string, events: readonly object[], extra: Record<string, unknown> = {}) {
    const answer = await this.append(peer, stream, events, extra);
    if (answer.type !== 'appended') throw new Error(`append to ${stream} failed: ${JSON.stringify(answer)}`);
    return answer;
  }

  /** A stream holding `count` fresh events (each append of at most 100), and the acks. */
  async seeded(peer: RawPeer, count: number, label = 'seeded'): Promise<{ stream: string; events: StoredEventLike[] }> {
    const stream = this.stream(label);
    const written: StoredEventLike[] = [];
    for (let from = 1; from <= count; from += 100) {
      const batch = this.events(Math.min(100, count - from + 1), 'Seeded', from);
      const ack = await this.appendOk(peer, stream, batch);
      batch.forEach((event, i) => written.push({ id: event.id, seq: ack.seqs[i]!, pos: ack.positions[i]! }));
    }
    return { stream, events: written };
  }

  /** Collects the events of one subscription until `count` arrived (more may come in the last frame). */
  async collect(peer: RawPeer, sub: number, count: number, timeoutMs = 5000): Promise<StoredEvent[]> {
    const got: StoredEvent[] = [];
    while (got.length < count) {
      const frame = await peer.expect('events', { sub }, timeoutMs);
      got.push(...frame.events);
    }
    return got;
  }

  /**
   * Proves that the server still serves this connection: a `ping` with a fresh nonce is answered
   * `pong`. Frames that arrived before the `pong` stay queued for `peer.pending()`. (Answers to
   * `read`, `surface`, `streams` and `info` may still come after it, SPEC 6.3.)
   */
  async roundTrip(peer: RawPeer, timeoutMs?: number): Promise<void> {
    this.counter += 1;
    const nonce = this.counter;
    peer.send({ type: 'ping', nonce });
    await peer.next((frame) => frame.type === 'pong' && frame.nonce === nonce, timeoutMs);
  }

  /** Waits `ms` milliseconds. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Closes every connection the case opened. */
  dispose(): void {
    for (const peer of this.peers.splice(0)) {
      if (peer.closed === undefined) {
        try {
          peer.close();
        } catch {
          // Closing a connection that is going away anyway.
        }
      }
    }
  }
}

/** Where an appended event landed. */
export interface StoredEventLike {
  readonly id: string;
  readonly seq: number;
  readonly pos: number;
}
