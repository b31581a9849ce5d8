import { codecByName, type Codec, type CodecName } from '../../protocol/codec.js';
import type { ServerFrame } from '../../protocol/frames.js';
import { parseServerFrame } from '../../protocol/validate.js';
import type { CloseInfo, Connection } from '../../transports/transport.js';

/**
 * A client that speaks raw frames, for black-box tests of a server: it sends exactly what it
 * is told (valid or not) and validates every frame it receives against the protocol schemas.
 */
export class RawPeer {
  private readonly inbox: ServerFrame[] = [];
  private waiters: (() => void)[] = [];
  /** Every frame received so far, in order (the server's pings too). */
  readonly received: ServerFrame[] = [];
  /** The encoded size of each frame of `received`, in bytes. */
  readonly receivedBytes: number[] = [];
  /**
   * Whether the server's `ping` frames are answered `pong` at once (and kept out of the inbox),
   * so that a server with a short heartbeat keeps a quiet peer open. Off for keep-alive cases.
   */
  answerPings = true;
  /** Frames the server sent that failed the protocol's schemas (a conformance failure). */
  readonly invalid: unknown[] = [];
  private closeInfo: CloseInfo | undefined;
  private nextId = 1;

  constructor(
    readonly connection: Connection,
    readonly codec: Codec = codecByName('msgpack'),
  ) {
    connection.onFrame((bytes) => {
      let frame: ServerFrame;
      try {
        frame = parseServerFrame(this.codec.decode(bytes));
      } catch {
        this.invalid.push(bytes);
        return;
      }
      this.received.push(frame);
      this.receivedBytes.push(bytes.byteLength);
      if (frame.type === 'ping' && this.answerPings) {
        this.send({ type: 'pong', ...(frame.nonce === undefined ? {} : { nonce: frame.nonce }) });
        return;
      }
      this.inbox.push(frame);
      this.wake();
    });
    void connection.closed.then((info) => {
      this.closeInfo = info;
      this.wake();
    });
  }

  /** Opens a connection and sends nothing on it. */
  static async connect(connect: () => Promise<Connection>, codec: CodecName = 'msgpack'): Promise<RawPeer> {
    return new RawPeer(await connect(), codecByName(codec));
  }

  /** Opens a connection and completes the handshake. */
  static async open(
    connect: () => Promise<Connection>,
    options: { codec?: CodecName; token?: string } = {},
  ): Promise<RawPeer> {
    const peer = new RawPeer(await connect(), codecByName(options.codec ?? 'msgpack'));
    peer.send({ type: 'hello', versions: [1], ...(options.token === undefined ? {} : { token: options.token }) });
    await peer.expect('welcome');
    return peer;
  }

  /** A fresh request id. */
  id(): number {
    return this.nextId++;
  }

  send(frame: object): void {
    this.connection.send(this.codec.encode(frame));
  }

  sendBytes(bytes: Uint8Array): void {
    this.connection.send(bytes);
  }

  get closed(): CloseInfo | undefined {
    return this.closeInfo;
  }

  /** Waits for the next frame that matches (frames before it that do not match stay queued). */
  async next(match: (frame: ServerFrame) => boolean = () => true, timeoutMs = 5000): Promise<ServerFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.inbox.findIndex(match);
      if (index >= 0) return this.inbox.splice(index, 1)[0]!;
      if (this.closeInfo !== undefined) {
        throw new Error(`connection closed (${this.closeInfo.code} ${this.closeInfo.reason}) while waiting for a frame`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.inbox).slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the next frame of a type (and, optionally, with this request or subscription id). */
  async expect<T extends ServerFrame['type']>(
    type: T,
    ids: { id?: number; sub?: number } = {},
    timeoutMs = 5000,
  ): Promise<Extract<ServerFrame, { type: T }>> {
    const frame = await this.next(
      (candidate) =>
        candidate.type === type &&
        (ids.id === undefined || (candidate as { id?: number }).id === ids.id) &&
        (ids.sub === undefined || (candidate as { sub?: number }).sub === ids.sub),
      timeoutMs,
    );
    return frame as Extract<ServerFrame, { type: T }>;
  }

  /** Frames waiting that no `next` has taken yet. */
  pending(): readonly ServerFrame[] {
    return this.inbox;
  }

  /** Waits until the connection is closed by the server (or times out). */
  async waitClosed(timeoutMs = 5000): Promise<CloseInfo> {
    const deadline = Date.now() + timeoutMs;
    while (this.closeInfo === undefined) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`the connection was not closed within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.closeInfo;
  }

  close(): void {
    this.connection.close(1000, 'done');
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
