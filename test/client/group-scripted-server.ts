import { expect } from 'vitest';
import { detectCodec } from '../../protocol/codec.js';
import type { Codec } from '../../protocol/codec.js';
import type { ClientFrame, ServerLimits, StoredEvent } from '../../protocol/frames.js';
import { parseClientFrame } from '../../protocol/validate.js';
import { createMemoryPair } from '../../transports/memory/index.js';
import type { ClientTransport, Connection } from '../../transports/transport.js';

/*
 * A server scripted frame by frame, for the client's group tests that need exact frame
 * sequences (acks batched in a tick, a release after the last ack, a lease that lapses on a
 * fake clock): a test double of the peer over the real in-memory connection pair.
 */

export const LIMITS: ServerLimits = {
  maxFrameBytes: 1_048_576,
  maxEventsPerAppend: 10_000,
  maxSubscriptions: 1000,
  maxCredit: 100_000,
  maxReadLimit: 1000,
};

export type FrameOf<T extends ClientFrame['type']> = Extract<ClientFrame, { type: T }>;

/** The server's side of one connection. */
export class ScriptedPeer {
  /** Every frame the client sent, validated against the protocol's schemas. */
  readonly frames: ClientFrame[] = [];
  closed = false;
  private codec: Codec | undefined;
  private cursor = 0;
  private wakeReader: (() => void) | undefined;

  constructor(readonly connection: Connection) {
    connection.onFrame((bytes) => {
      this.codec ??= detectCodec(bytes);
      this.frames.push(parseClientFrame(this.codec.decode(bytes)));
      this.wakeReader?.();
    });
    void connection.closed.then(() => {
      this.closed = true;
    });
  }

  /** The next frame the client sent (waits for it). */
  async next(): Promise<ClientFrame> {
    while (this.cursor >= this.frames.length) {
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
      });
    }
    const frame = this.frames[this.cursor] as ClientFrame;
    this.cursor += 1;
    return frame;
  }

  /** The next frame that is not a ping or pong, which must be of `type`. */
  async nextOf<T extends ClientFrame['type']>(type: T): Promise<FrameOf<T>> {
    let frame = await this.next();
    while (type !== 'ping' && (frame.type === 'ping' || frame.type === 'pong')) frame = await this.next();
    expect(frame.type).toBe(type);
    return frame as FrameOf<T>;
  }

  /** Frames received and not read yet, pings and pongs left out unless asked for. */
  unread(withPings = false): ClientFrame[] {
    const rest = this.frames.slice(this.cursor);
    this.cursor = this.frames.length;
    return withPings ? rest : rest.filter((frame) => frame.type !== 'ping' && frame.type !== 'pong');
  }

  send(frame: Record<string, unknown>): void {
    this.connection.send((this.codec as Codec).encode(frame));
  }

  welcome(overrides: Record<string, unknown> = {}): void {
    this.send({ type: 'welcome', version: 1, server: 'scripted', heartbeat: 60_000, limits: LIMITS, features: ['groups'], ...overrides });
  }

  assigned(sub: number, member: string, parts: { part: number; gen: number; revoking?: boolean }[]): void {
    this.send({ type: 'assigned', sub, member, parts });
  }

  deliver(sub: number, part: number, gen: number, events: StoredEvent[], deliveries?: number[]): void {
    this.send({ type: 'deliver', sub, part, gen, events, deliveries: deliveries ?? events.map(() => 1) });
  }

  close(code = 1006): void {
    this.connection.close(code, 'test');
  }
}

/** A transport whose every dial makes a {@link ScriptedPeer}. */
export class ScriptedTransport implements ClientTransport {
  readonly description = 'scripted://server';
  readonly peers: ScriptedPeer[] = [];
  private taken = 0;
  private wake: (() => void) | undefined;

  connect(): Promise<Connection> {
    const [client, server] = createMemoryPair();
    this.peers.push(new ScriptedPeer(server));
    this.wake?.();
    return Promise.resolve(client);
  }

  async nextPeer(): Promise<ScriptedPeer> {
    while (this.peers.length <= this.taken) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    const peer = this.peers[this.taken] as ScriptedPeer;
    this.taken += 1;
    return peer;
  }
}

/** An event of stream `s` at seq (and pos) `seq`. */
export function stored(seq: number, overrides: Partial<StoredEvent> = {}): StoredEvent {
  return { id: `e${seq}`, type: 't', stream: 's', seq, pos: seq, tx: seq, recorded: 1000, ...overrides };
}

/** Lets every queued microtask run (setImmediate is not faked). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
