import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ChainBrokenError,
  ConnectionClosedError,
  connect,
  HandshakeRejectedError,
  RequestTimeoutError,
  StoreChangedError,
  TauonError,
  WrongExpectedVersionError,
} from '../../client/index.js';
import type { Client, ConnectionStatus, ConnectOptions, FeedItem, StoredEvent } from '../../client/index.js';
import { detectCodec } from '../../protocol/codec.js';
import type { Codec } from '../../protocol/codec.js';
import type { AppendFrame, ClientFrame, ServerLimits } from '../../protocol/frames.js';
import { parseClientFrame } from '../../protocol/validate.js';
import type { ClientTransport, CloseInfo, Connection } from '../../transports/transport.js';

/*
 * The client against a fake server driven frame by frame: a test double of the *peer*, over an
 * in-memory connection pair written here, so that exact frame sequences and the reconnect logic
 * can be checked deterministically. Timers are faked (setTimeout, Date); setImmediate stays real
 * to let every microtask settle.
 */

// ---- an in-memory connection pair ----

class MemoryEnd implements Connection {
  peer: MemoryEnd | undefined;
  readonly bufferedAmount = 0;
  readonly closed: Promise<CloseInfo>;
  private handler: ((frame: Uint8Array) => void) | undefined;
  private held: Uint8Array[] = [];
  private ended = false;
  private resolveClosed!: (info: CloseInfo) => void;

  constructor() {
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  send(frame: Uint8Array): void {
    if (this.ended) return;
    const peer = this.peer;
    const copy = frame.slice();
    queueMicrotask(() => peer?.receive(copy));
  }

  onFrame(handler: (frame: Uint8Array) => void): void {
    this.handler = handler;
    const held = this.held;
    this.held = [];
    for (const frame of held) handler(frame);
  }

  close(code = 1000, reason = ''): void {
    if (this.ended) return;
    this.finish({ code, reason, local: true });
    const peer = this.peer;
    // After the frames already on their way, like a socket.
    queueMicrotask(() => peer?.finish({ code, reason, local: false }));
  }

  get isClosed(): boolean {
    return this.ended;
  }

  private receive(frame: Uint8Array): void {
    if (this.ended) return;
    if (this.handler === undefined) this.held.push(frame);
    else this.handler(frame);
  }

  private finish(info: CloseInfo): void {
    if (this.ended) return;
    this.ended = true;
    this.resolveClosed(info);
  }
}

function memoryPair(): [MemoryEnd, MemoryEnd] {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

// ---- the fake server side of one connection ----

const LIMITS: ServerLimits = {
  maxFrameBytes: 1_048_576,
  maxEventsPerAppend: 10_000,
  maxSubscriptions: 1000,
  maxCredit: 100_000,
  maxReadLimit: 1000,
};

type FrameOf<T extends ClientFrame['type']> = Extract<ClientFrame, { type: T }>;

class FakePeer {
  /** Every frame the client sent, validated against the protocol's schemas. */
  readonly frames: ClientFrame[] = [];
  /** The same frames as decoded, before validation (which drops fields outside the protocol). */
  readonly decoded: unknown[] = [];
  firstByte: number | undefined;
  closeInfo: CloseInfo | undefined;
  private codec: Codec | undefined;
  private cursor = 0;
  private wakeReader: (() => void) | undefined;

  constructor(readonly connection: MemoryEnd) {
    connection.onFrame((bytes) => {
      this.firstByte ??= bytes[0];
      this.codec ??= detectCodec(bytes);
      const value = this.codec.decode(bytes);
      this.decoded.push(value);
      this.frames.push(parseClientFrame(value));
      this.wakeReader?.();
    });
    void connection.closed.then((info) => {
      this.closeInfo = info;
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

  async nextOf<T extends ClientFrame['type']>(type: T): Promise<FrameOf<T>> {
    const frame = await this.next();
    expect(frame.type).toBe(type);
    return frame as FrameOf<T>;
  }

  /** Frames received and not read yet (call after `settle()`). */
  unread(): ClientFrame[] {
    const rest = this.frames.slice(this.cursor);
    this.cursor = this.frames.length;
    return rest;
  }

  send(frame: Record<string, unknown>): void {
    this.connection.send((this.codec as Codec).encode(frame));
  }

  welcome(overrides: Record<string, unknown> = {}): void {
    this.send({ type: 'welcome', version: 1, server: 'fake', heartbeat: 10_000, limits: LIMITS, ...overrides });
  }

  events(sub: number, events: StoredEvent[]): void {
    this.send({ type: 'events', sub, events });
  }

  ack(frame: FrameOf<'append'>, firstSeq: number, dups?: number[]): void {
    const seqs = frame.events.map((_, index) => firstSeq + index);
    this.send({ type: 'appended', id: frame.id, stream: frame.stream, tx: firstSeq, seqs, positions: seqs.map((seq) => seq * 10), dups });
  }

  close(code = 1006): void {
    this.connection.close(code, 'test');
  }
}

class FakeTransport implements ClientTransport {
  readonly description = 'fake://server';
  readonly peers: FakePeer[] = [];
  readonly dialTimes: number[] = [];
  /** How many of the next dials fail. */
  refusals = 0;
  private taken = 0;
  private wake: (() => void) | undefined;

  connect(): Promise<Connection> {
    this.dialTimes.push(Date.now());
    if (this.refusals > 0) {
      this.refusals -= 1;
      return Promise.reject(new Error('connection refused'));
    }
    const [client, server] = memoryPair();
    this.peers.push(new FakePeer(server));
    this.wake?.();
    return Promise.resolve(client);
  }

  get dials(): number {
    return this.dialTimes.length;
  }

  async nextPeer(): Promise<FakePeer> {
    while (this.peers.length <= this.taken) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    const peer = this.peers[this.taken] as FakePeer;
    this.taken += 1;
    return peer;
  }
}

// ---- helpers ----

/** Lets every queued microtask run (setImmediate is not faked). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function stored(seq: number, overrides: Partial<StoredEvent> = {}): StoredEvent {
  return { id: `e${seq}`, type: 't', stream: 's', seq, pos: seq * 10, tx: seq, recorded: 1000, ...overrides };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const clients: Client[] = [];

async function open(options: ConnectOptions = {}): Promise<{ client: Client; transport: FakeTransport; peer: FakePeer }> {
  const transport = new FakeTransport();
  const connecting = connect(transport, { ...options, reconnect: { jitter: 0, ...options.reconnect } });
  const peer = await transport.nextPeer();
  await peer.nextOf('hello');
  peer.welcome();
  const client = await connecting;
  clients.push(client);
  return { client, transport, peer };
}

/** Drops the connection from the server side and lets the client redial after `delayMs`. */
async function dropAndResume(transport: FakeTransport, peer: FakePeer, delayMs = 100): Promise<FakePeer> {
  peer.close(1006);
  await settle();
  await vi.advanceTimersByTimeAsync(delayMs);
  const next = await transport.nextPeer();
  await next.nextOf('hello');
  next.welcome();
  await settle();
  return next;
}

/** A promise's outcome without an unhandled rejection in between. */
function outcome<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** Fire and forget: the outcome does not matter to the test (and must not be unhandled). */
function fire(promise: Promise<unknown>): void {
  promise.catch(() => undefined);
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  vi.useRealTimers();
});

// ---- tests ----

describe('handshake', () => {
  it('sends hello with the versions, token and client name, and resolves only after welcome', async () => {
    const transport = new FakeTransport();
    const connecting = connect(transport, { token: 'secret', clientName: 'unit' });
    let resolved = false;
    void connecting.then(() => {
      resolved = true;
    });
    const peer = await transport.nextPeer();
    expect(await peer.next()).toEqual({ type: 'hello', versions: [1], token: 'secret', client: 'unit' });
    await settle();
    expect(resolved).toBe(false);
    peer.welcome({ server: 'node-1' });
    const client = await connecting;
    clients.push(client);
    expect(client.status).toEqual({ state: 'connected', attempt: 0, server: 'node-1' });
    expect(peer.firstByte).not.toBe(0x7b); // msgpack by default
  });

  it('speaks JSON when asked', async () => {
    const { peer } = await open({ codec: 'json' });
    expect(peer.firstByte).toBe(0x7b);
  });

  it('fails connect with the reject code, without retrying, even with waitOnFirstConnect', async () => {
    const transport = new FakeTransport();
    const result = outcome(connect(transport, { waitOnFirstConnect: true }));
    const peer = await transport.nextPeer();
    await peer.nextOf('hello');
    peer.send({ type: 'reject', code: 'unauthorized', message: 'bad token', versions: [1] });
    const { error } = await result;
    expect(error).toBeInstanceOf(HandshakeRejectedError);
    expect(error).toMatchObject({ code: 'unauthorized', versions: [1] });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(transport.dials).toBe(1);
  });

  it('fails connect with ConnectionClosedError when the server cannot be reached', async () => {
    const transport = new FakeTransport();
    transport.refusals = 1;
    const { error } = await outcome(connect(transport));
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect((error as TauonError).code).toBe('closed');
    expect((error as Error).message).toContain('fake://server');
    expect(transport.dials).toBe(1);
  });

  it('keeps dialing with backoff on the first connect when waitOnFirstConnect is set', async () => {
    const transport = new FakeTransport();
    transport.refusals = 2;
    const connecting = connect(transport, { waitOnFirstConnect: true, reconnect: { jitter: 0 } });
    await vi.advanceTimersByTimeAsync(300);
    const peer = await transport.nextPeer();
    await peer.nextOf('hello');
    peer.welcome();
    clients.push(await connecting);
    const [first, second, third] = transport.dialTimes as [number, number, number];
    expect([second - first, third - second]).toEqual([100, 200]);
  });

  it('fails connect with a timeout when welcome does not come', async () => {
    const transport = new FakeTransport();
    const result = outcome(connect(transport, { handshakeTimeoutMs: 500 }));
    const peer = await transport.nextPeer();
    await peer.nextOf('hello');
    await vi.advanceTimersByTimeAsync(500);
    const { error } = await result;
    expect((error as TauonError).code).toBe('timeout');
    await settle();
    expect(peer.closeInfo?.code).toBe(4001);
  });

  it('asks a token function for a fresh token on every dial', async () => {
    let calls = 0;
    const { transport, peer } = await open({
      token: () => {
        calls += 1;
        return `token-${calls}`;
      },
    });
    expect(peer.frames[0]).toMatchObject({ type: 'hello', token: 'token-1' });
    const again = await dropAndResume(transport, peer);
    expect(again.frames[0]).toMatchObject({ type: 'hello', token: 'token-2' });
  });
});

describe('emit queue', () => {
  it('coalesces emits of one tick to one stream into one frame, and gives each caller its slice of the ack', async () => {
    const { client, peer } = await open();
    const a = client.emit('s', { type: 'a' });
    const b = client.emit('s', [{ type: 'b' }, { type: 'c', id: 'mine' }]);
    const c = client.emit('t', { type: 'd' });
    const toS = await peer.nextOf('append');
    const toT = await peer.nextOf('append');
    expect(toS.stream).toBe('s');
    expect(toS.events.map((event) => event.type)).toEqual(['a', 'b', 'c']);
    expect(toS.events[0]?.id).toMatch(UUID);
    expect(toS.events[1]?.id).toMatch(UUID);
    expect(toS.events[2]?.id).toBe('mine');
    expect(toS.expected).toBeUndefined();
    expect(toT.stream).toBe('t');
    expect(toT.events.map((event) => event.type)).toEqual(['d']);

    peer.send({ type: 'appended', id: toS.id, stream: 's', tx: 4, seqs: [7, 8, 9], positions: [70, 81, 92], dups: [2] });
    peer.ack(toT, 1);
    expect(await a).toEqual({ stream: 's', tx: 4, seq: 7, pos: 70, seqs: [7], positions: [70], duplicates: [false] });
    expect(await b).toEqual({ stream: 's', tx: 4, seq: 8, pos: 81, seqs: [8, 9], positions: [81, 92], duplicates: [false, true] });
    expect(await c).toMatchObject({ stream: 't', seqs: [1], positions: [10], duplicates: [false] });
    await settle();
    expect(peer.unread()).toEqual([]);
  });

  it("sends each event's protocol fields as they were when emitted, and nothing else", async () => {
    const { client, peer } = await open();
    const full = {
      id: 'e1',
      type: 'placed',
      key: 'k',
      data: { total: 42 },
      meta: { tenant: 'a' },
      time: 1_700_000_000_000,
      causation: 'c',
      correlation: 'r',
      schema: 'urn:placed',
    };
    const caller = { ...full, extra: 'not a protocol field' };
    const bare = { type: 'bare' };
    fire(client.emit('s', [caller, bare]));
    caller.type = 'changed after the emit';
    caller.data = { total: 0 };
    const frame = await peer.nextOf('append');
    expect(frame.events[0]).toStrictEqual(full);
    const sent = peer.decoded[peer.frames.indexOf(frame)] as AppendFrame;
    expect(Object.keys(sent.events[0]!), 'fields outside the protocol stay home').toEqual(Object.keys(full));
    expect(Object.keys(frame.events[1]!)).toEqual(['id', 'type']);
    expect(frame.events[1]?.id).toMatch(UUID);
    expect(bare).toEqual({ type: 'bare' });
  });

  it('sends an emit with an expected version alone, keeping the order of the stream', async () => {
    const { client, peer } = await open();
    fire(client.emit('s', { type: 'a' }));
    fire(client.emit('s', { type: 'b' }, { expected: 1 }));
    fire(client.emit('s', { type: 'c' }));
    fire(client.emit('s', { type: 'd' }, { expected: 'any' }));
    const frames = [await peer.nextOf('append'), await peer.nextOf('append'), await peer.nextOf('append')];
    expect(frames.map((frame) => frame.events.map((event) => event.type))).toEqual([['a'], ['b'], ['c', 'd']]);
    expect(frames.map((frame) => frame.expected)).toEqual([undefined, 1, undefined]);
  });

  it('does not coalesce emits with different dedupe options, and bounds a frame by maxEventsPerFrame', async () => {
    const { client, peer } = await open({ maxEventsPerFrame: 2 });
    fire(client.emit('s', { type: 'a' }));
    fire(client.emit('s', { type: 'b' }));
    fire(client.emit('s', { type: 'c' }));
    fire(client.emit('s', { type: 'd', key: 'k' }, { dedupe: true }));
    const frames = [await peer.nextOf('append'), await peer.nextOf('append'), await peer.nextOf('append')];
    expect(frames.map((frame) => frame.events.map((event) => event.type))).toEqual([['a', 'b'], ['c'], ['d']]);
    expect(frames.map((frame) => frame.dedupe)).toEqual([undefined, undefined, true]);
  });

  it('keeps at most maxAppendsInFlight frames unanswered; the rest wait and keep coalescing', async () => {
    const { client, peer } = await open({ maxAppendsInFlight: 1 });
    const a = client.emit('s', { type: 'a' });
    const first = await peer.nextOf('append');
    fire(client.emit('s', { type: 'b' }));
    await settle();
    fire(client.emit('s', { type: 'c' }));
    fire(client.emit('t', { type: 'x' }));
    await settle();
    expect(peer.unread()).toEqual([]);
    peer.ack(first, 1);
    await a;
    const second = await peer.nextOf('append');
    expect(second.events.map((event) => event.type)).toEqual(['b', 'c']);
    await settle();
    expect(peer.unread()).toEqual([]);
    peer.ack(second, 2);
    expect((await peer.nextOf('append')).stream).toBe('t');
  });

  it('splits a coalesced frame that encodes larger than maxFrameBytes, per emit, in order', async () => {
    const { client, peer } = await open({ maxFrameBytes: 300 });
    const big = 'x'.repeat(150);
    fire(client.emit('s', { type: 'a', data: big }));
    fire(client.emit('s', { type: 'b', data: big }));
    fire(client.emit('s', { type: 'c', data: big }));
    const frames = [await peer.nextOf('append'), await peer.nextOf('append'), await peer.nextOf('append')];
    expect(frames.map((frame) => frame.events.map((event) => event.type))).toEqual([['a'], ['b'], ['c']]);
  });

  it("refuses an emit larger than the server's maxFrameBytes without sending it", async () => {
    const transport = new FakeTransport();
    const connecting = connect(transport);
    const peer = await transport.nextPeer();
    await peer.nextOf('hello');
    peer.welcome({ limits: { ...LIMITS, maxFrameBytes: 200 } });
    const client = await connecting;
    clients.push(client);
    const { error } = await outcome(client.emit('s', { type: 'a', data: 'x'.repeat(500) }));
    expect((error as TauonError).code).toBe('too-large');
    await settle();
    expect(peer.unread()).toEqual([]);
  });

  it('refuses invalid emits on the client, so they never fail the frame of another caller', async () => {
    const { client, peer } = await open();
    const good = client.emit('s', { type: 'ok' });
    const results = await Promise.all([
      outcome(client.emit('$system', { type: 'a' })),
      outcome(client.emit('a*', { type: 'a' })),
      outcome(client.emit('s', [])),
      outcome(client.emit('s', { type: '$invalidated' })),
      outcome(client.emit('s', [{ type: 'a', id: 'same' }, { type: 'b', id: 'same' }])),
      outcome(client.emit('s', { type: 'a' }, { expected: -3 })),
    ]);
    expect(results.map((result) => (result.error as TauonError).code)).toEqual([
      'bad-frame',
      'bad-frame',
      'bad-frame',
      'forbidden',
      'bad-frame',
      'bad-frame',
    ]);
    const frame = await peer.nextOf('append');
    expect(frame.events.map((event) => event.type)).toEqual(['ok']);
    peer.ack(frame, 1);
    await good;
  });

  it('maps append errors to their error classes', async () => {
    const { client, peer } = await open();
    const wrong = outcome(client.emit('s', { type: 'a' }, { expected: 5 }));
    const forbidden = outcome(client.emit('t', { type: 'a' }));
    const toS = await peer.nextOf('append');
    const toT = await peer.nextOf('append');
    peer.send({
      type: 'error',
      id: toS.id,
      code: 'wrong-expected-version',
      message: 'stream s is at 3',
      details: { stream: 's', expected: 5, actual: 3 },
    });
    peer.send({ type: 'error', id: toT.id, code: 'duplicate-id', message: 'id in another stream' });
    const { error } = await wrong;
    expect(error).toBeInstanceOf(WrongExpectedVersionError);
    expect(error).toMatchObject({ code: 'wrong-expected-version', stream: 's', expected: 5, actual: 3 });
    const other = (await forbidden).error;
    expect(other).toBeInstanceOf(TauonError);
    expect(other).toMatchObject({ code: 'duplicate-id', message: 'id in another stream' });
  });

  it('fails appends behind a failure with ChainBrokenError and starts a new chain with the next append', async () => {
    const { client, peer } = await open();
    const a = outcome(client.emit('s', { type: 'a' }, { expected: 0 }));
    const b = outcome(client.emit('s', { type: 'b' }));
    fire(client.emit('t', { type: 'c' }));
    const fa = await peer.nextOf('append');
    const fb = await peer.nextOf('append');
    await peer.nextOf('append');
    peer.send({ type: 'error', id: fa.id, code: 'wrong-expected-version', message: 'no', details: { stream: 's', expected: 0, actual: 2 } });
    expect((await a).error).toBeInstanceOf(WrongExpectedVersionError);

    fire(client.emit('s', { type: 'd' }));
    fire(client.emit('t', { type: 'e' }));
    const fd = await peer.nextOf('append');
    const fe = await peer.nextOf('append');
    expect([fd.stream, fd.newChain]).toEqual(['s', true]);
    expect([fe.stream, fe.newChain]).toEqual(['t', undefined]);

    peer.send({ type: 'error', id: fb.id, code: 'chain-broken', message: 'earlier append failed', details: { stream: 's' } });
    const { error } = await b;
    expect(error).toBeInstanceOf(ChainBrokenError);
    expect(error).toMatchObject({ code: 'chain-broken', stream: 's' });

    fire(client.emit('s', { type: 'f' }));
    const ff = await peer.nextOf('append');
    expect(ff.newChain).toBeUndefined();
  });

  it('orders an invalidate with the emits to its stream and resolves it with the ack', async () => {
    const { client, peer } = await open();
    fire(client.emit('s', { type: 'a' }));
    const invalidated = client.invalidate('s', 1, 'wrong price');
    fire(client.emit('s', { type: 'b' }));
    expect((await peer.nextOf('append')).events.map((event) => event.type)).toEqual(['a']);
    const frame = await peer.nextOf('invalidate');
    expect(frame).toMatchObject({ stream: 's', tx: 1, reason: 'wrong price' });
    expect((await peer.nextOf('append')).events.map((event) => event.type)).toEqual(['b']);
    peer.send({ type: 'appended', id: frame.id, stream: 's', tx: 2, seqs: [2], positions: [20] });
    expect(await invalidated).toEqual({ stream: 's', tx: 2, seq: 2, pos: 20, seqs: [2], positions: [20], duplicates: [false] });
  });

  it('drops the connection when an ack does not match its frame, and resends the append', async () => {
    const { client, transport, peer } = await open();
    const result = client.emit('s', [{ type: 'a' }, { type: 'b' }]);
    const frame = await peer.nextOf('append');
    peer.send({ type: 'appended', id: frame.id, stream: 's', tx: 1, seqs: [1], positions: [10] });
    await settle();
    expect(peer.closeInfo?.code).toBe(1002);
    const again = await dropAndResume(transport, peer);
    const resent = await again.nextOf('append');
    expect(resent.events).toEqual(frame.events);
    again.ack(resent, 1);
    expect((await result).seqs).toEqual([1, 2]);
  });
});

describe('subscriptions', () => {
  it('subscribes with credit = prefetch and returns credit in batches of at least half the window', async () => {
    const { client, peer } = await open({ prefetch: 10 });
    const seen: number[] = [];
    client.subscribe('s').subscribe((event) => seen.push(event.seq));
    const frame = await peer.nextOf('subscribe');
    expect(frame).toEqual({ type: 'subscribe', sub: frame.sub, stream: 's', mode: 'hot-cold', credit: 10 });
    peer.events(frame.sub, [1, 2, 3, 4].map((seq) => stored(seq)));
    await settle();
    expect(peer.unread()).toEqual([]);
    peer.events(frame.sub, [stored(5)]);
    expect(await peer.next()).toEqual({ type: 'credit', sub: frame.sub, n: 5 });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it('never has more than prefetch events outstanding, whatever the server sends within its credit', async () => {
    const prefetch = 16;
    const { client, peer } = await open({ prefetch });
    const seen: number[] = [];
    client.subscribe('s').subscribe((event) => seen.push(event.seq));
    const frame = await peer.nextOf('subscribe');
    let credit = frame.credit;
    let seq = 0;
    let seed = 7;
    for (let round = 0; round < 60; round += 1) {
      seed = (seed * 48271) % 2147483647;
      const batch = Math.min(credit, 1 + (seed % 7));
      if (batch > 0) {
        peer.events(frame.sub, Array.from({ length: batch }, () => stored((seq += 1))));
        credit -= batch;
      }
      await settle();
      for (const sent of peer.unread()) {
        expect(sent.type).toBe('credit');
        const n = (sent as FrameOf<'credit'>).n;
        expect(n).toBeGreaterThanOrEqual(prefetch / 2);
        credit += n;
      }
      expect(credit).toBeLessThanOrEqual(prefetch);
      expect(credit).toBeGreaterThanOrEqual(0);
    }
    expect(seq).toBeGreaterThan(prefetch * 4); // the window really kept moving
    expect(seen).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
  });

  it('sends unsubscribe on teardown and never completes the observer', async () => {
    const { client, peer } = await open();
    let completed = false;
    const subscription = client.subscribe('s').subscribe({ complete: () => (completed = true) });
    const frame = await peer.nextOf('subscribe');
    subscription.unsubscribe();
    expect(await peer.next()).toEqual({ type: 'unsubscribe', sub: frame.sub });
    peer.events(frame.sub, [stored(1)]);
    await settle();
    expect(completed).toBe(false);
    expect(peer.unread()).toEqual([]);
  });

  it('completes a cold subscription on complete, after its events', async () => {
    const { client, peer } = await open();
    const seen: number[] = [];
    let completed = false;
    client.replay('s', { from: { after: 4 } }).subscribe({ next: (event) => seen.push(event.seq), complete: () => (completed = true) });
    const frame = await peer.nextOf('subscribe');
    expect(frame).toMatchObject({ mode: 'cold', from: { after: 4 } });
    peer.events(frame.sub, [stored(5), stored(6)]);
    peer.send({ type: 'caught-up', sub: frame.sub, at: 6 });
    peer.send({ type: 'complete', sub: frame.sub });
    await settle();
    expect(seen).toEqual([5, 6]);
    expect(completed).toBe(true);
    expect(peer.unread()).toEqual([]); // no unsubscribe after complete
  });

  it('errors the observer with the TauonError of an error frame', async () => {
    const { client, peer } = await open();
    let failure: unknown;
    client.subscribe('s', { from: { event: 'nope' } }).subscribe({ error: (error: unknown) => (failure = error) });
    const frame = await peer.nextOf('subscribe');
    peer.send({ type: 'error', sub: frame.sub, code: 'not-found', message: 'no event nope' });
    await settle();
    expect(failure).toBeInstanceOf(TauonError);
    expect(failure).toMatchObject({ code: 'not-found', message: 'no event nope' });
  });

  it('keeps a started subscription going on errors that answer other frames, and ends it on internal (SPEC 6.5.11)', async () => {
    const { client, peer } = await open();
    const seen: number[] = [];
    let failure: unknown;
    client.subscribe('s').subscribe({ next: (event) => seen.push(event.seq), error: (error: unknown) => (failure = error) });
    const frame = await peer.nextOf('subscribe');
    peer.events(frame.sub, [stored(1)]);
    for (const code of ['limit', 'protocol', 'bad-frame', 'forbidden'] as const) {
      peer.send({ type: 'error', sub: frame.sub, code, message: `about a credit: ${code}` });
    }
    peer.events(frame.sub, [stored(2)]);
    await settle();
    expect(seen).toEqual([1, 2]);
    expect(failure).toBeUndefined();
    peer.send({ type: 'error', sub: frame.sub, code: 'internal', message: 'internal error, id 1' });
    await settle();
    expect(failure).toMatchObject({ code: 'internal' });
  });

  it('ends a started subscription on unrepresentable, and on a code it does not know (SPEC 4.9, 6.5.11)', async () => {
    const { client, peer } = await open();
    for (const code of ['unrepresentable', 'some-future-code']) {
      let failure: unknown;
      client.subscribe(`s-${code}`).subscribe({ error: (error: unknown) => (failure = error) });
      const frame = await peer.nextOf('subscribe');
      peer.events(frame.sub, [stored(1)]);
      peer.send({ type: 'error', sub: frame.sub, code, message: code });
      await settle();
      expect(failure, code).toMatchObject({ code });
      expect((await peer.nextOf('unsubscribe')).sub).toBe(frame.sub);
    }
  });

  it('feeds events and the caught-up / fell-behind signals in order', async () => {
    const { client, peer } = await open();
    const items: FeedItem[] = [];
    client.feed('s').subscribe((item) => items.push(item));
    const frame = await peer.nextOf('subscribe');
    peer.events(frame.sub, [stored(1)]);
    peer.send({ type: 'caught-up', sub: frame.sub, at: 1 });
    peer.events(frame.sub, [stored(2)]);
    peer.send({ type: 'fell-behind', sub: frame.sub, at: 2 });
    await settle();
    expect(items).toEqual([
      { kind: 'event', event: stored(1) },
      { kind: 'caught-up', at: 1 },
      { kind: 'event', event: stored(2) },
      { kind: 'fell-behind', at: 2 },
    ]);
  });

  it('drops events at or below the last delivered position', async () => {
    const { client, peer } = await open({ prefetch: 100 });
    const seen: number[] = [];
    client.subscribe('s').subscribe((event) => seen.push(event.seq));
    const frame = await peer.nextOf('subscribe');
    peer.events(frame.sub, [stored(5), stored(3), stored(5), stored(6)]);
    await settle();
    expect(seen).toEqual([5, 6]);
  });

  it('orders a pattern subscription by store-wide position', async () => {
    const { client, peer } = await open();
    const seen: string[] = [];
    client.subscribe('orders.*').subscribe((event) => seen.push(`${event.stream}:${event.pos}`));
    const frame = await peer.nextOf('subscribe');
    peer.events(frame.sub, [
      stored(1, { stream: 'orders.a', pos: 11 }),
      stored(1, { stream: 'orders.b', pos: 12 }),
      stored(2, { stream: 'orders.a', pos: 12 }),
      stored(2, { stream: 'orders.b', pos: 15 }),
    ]);
    await settle();
    expect(seen).toEqual(['orders.a:11', 'orders.b:12', 'orders.b:15']);
  });
});

describe('iterate', () => {
  it('grants credit only as the consumer pulls', async () => {
    const { client, peer } = await open({ prefetch: 4 });
    const iterator = client.iterate('s');
    await settle();
    expect(peer.unread()).toEqual([]); // opens on the first pull

    const first = iterator.next();
    const frame = await peer.nextOf('subscribe');
    expect(frame.credit).toBe(4);
    peer.events(frame.sub, [1, 2, 3, 4].map((seq) => stored(seq)));
    expect((await first).value?.seq).toBe(1);
    await settle();
    expect(peer.unread()).toEqual([]);
    expect((await iterator.next()).value?.seq).toBe(2);
    expect(await peer.next()).toEqual({ type: 'credit', sub: frame.sub, n: 2 });

    // The server uses its 2 credits; with nobody pulling, nothing more is granted.
    peer.events(frame.sub, [stored(5), stored(6)]);
    await settle();
    expect(peer.unread()).toEqual([]);

    const pulled: number[] = [];
    for (let i = 0; i < 4; i += 1) pulled.push(((await iterator.next()).value as StoredEvent).seq);
    expect(pulled).toEqual([3, 4, 5, 6]);
    expect(await peer.next()).toEqual({ type: 'credit', sub: frame.sub, n: 2 });
    expect(await peer.next()).toEqual({ type: 'credit', sub: frame.sub, n: 2 });

    expect(await iterator.return()).toEqual({ done: true, value: undefined });
    expect(await peer.next()).toEqual({ type: 'unsubscribe', sub: frame.sub });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('ends with done on complete and rejects with the error of a failed subscription', async () => {
    const { client, peer } = await open();
    const cold = client.iterate('s', { mode: 'cold' });
    const pending = cold.next();
    const frame = await peer.nextOf('subscribe');
    peer.events(frame.sub, [stored(1)]);
    peer.send({ type: 'complete', sub: frame.sub });
    expect((await pending).value?.seq).toBe(1);
    expect((await cold.next()).done).toBe(true);

    const failing = client.iterate('t');
    const waiting = outcome(failing.next());
    const second = await peer.nextOf('subscribe');
    peer.send({ type: 'error', sub: second.sub, code: 'forbidden', message: 'not yours' });
    expect(((await waiting).error as TauonError).code).toBe('forbidden');
    expect((await failing.next()).done).toBe(true);
  });

  it('works with for await', async () => {
    const { client, peer } = await open();
    const collected: number[] = [];
    const done = (async () => {
      for await (const event of client.iterate('s', { mode: 'cold' })) collected.push(event.seq);
    })();
    const frame = await peer.nextOf('subscribe');
    peer.events(frame.sub, [stored(1), stored(2), stored(3)]);
    peer.send({ type: 'complete', sub: frame.sub });
    await done;
    expect(collected).toEqual([1, 2, 3]);
  });
});

describe('requests', () => {
  it('reads, surfaces, lists streams and asks for info', async () => {
    const { client, peer } = await open();
    const read = client.read('s', { from: { after: 2 }, direction: 'forward', limit: 2, filter: { types: ['t'] } });
    const frame = await peer.nextOf('read');
    expect(frame).toEqual({
      type: 'read',
      id: frame.id,
      stream: 's',
      from: { after: 2 },
      direction: 'forward',
      limit: 2,
      filter: { types: ['t'] },
    });
    peer.send({ type: 'page', id: frame.id, events: [stored(3), stored(4)], next: { after: 4 } });
    expect(await read).toEqual({ events: [stored(3), stored(4)], next: { after: 4 } });

    const surface = client.surface('s');
    const surfaceFrame = await peer.nextOf('surface');
    peer.send({ type: 'page', id: surfaceFrame.id, events: [stored(9, { key: 'k' })], next: null });
    expect(await surface).toEqual([stored(9, { key: 'k' })]);

    const streams = client.streams({ prefix: 'or', limit: 1 });
    const streamsFrame = await peer.nextOf('streams');
    expect(streamsFrame).toMatchObject({ prefix: 'or', limit: 1 });
    const summary = { stream: 'orders', head: 3, count: 3, tx: 2, lastPos: 30, lastRecorded: 5 };
    peer.send({ type: 'stream-list', id: streamsFrame.id, streams: [summary], next: 'orders' });
    expect(await streams).toEqual({ streams: [summary], next: 'orders' });

    const info = client.info();
    const infoFrame = await peer.nextOf('info');
    const body = { server: 'fake', version: 1, versions: [1], stores: ['memory'], heartbeat: 10_000, limits: LIMITS, head: 30 };
    peer.send({ type: 'server-info', id: infoFrame.id, ...body });
    expect(await info).toEqual(body);
  });

  it('fails a request with an error code it does not know, as the server sent it', async () => {
    const { client, peer } = await open();
    const info = outcome(client.info());
    const frame = await peer.nextOf('info');
    peer.send({ type: 'error', id: frame.id, code: 'some-future-code', message: 'not yet known' });
    const { error } = await info;
    expect(error).toBeInstanceOf(TauonError);
    expect(error).toMatchObject({ code: 'some-future-code', message: 'not yet known' });
    expect(client.status.state).toBe('connected');
  });

  it('rejects a request with the error the server sent', async () => {
    const { client, peer } = await open();
    const read = outcome(client.read('s', { from: { event: 'x' } }));
    const frame = await peer.nextOf('read');
    peer.send({ type: 'error', id: frame.id, code: 'not-found', message: 'no event x' });
    expect((await read).error).toMatchObject({ code: 'not-found' });
  });

  it('fails a request with a timeout after requestTimeoutMs', async () => {
    const { client, peer } = await open({ requestTimeoutMs: 1000 });
    const info = outcome(client.info());
    const frame = await peer.nextOf('info');
    await vi.advanceTimersByTimeAsync(999);
    peer.send({ type: 'ping', nonce: 1 }); // unrelated traffic does not help
    await vi.advanceTimersByTimeAsync(1);
    const { error } = await info;
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect((error as TauonError).code).toBe('timeout');
    // A late answer is ignored.
    peer.send({ type: 'server-info', id: frame.id, server: 'fake', version: 1, versions: [1], stores: [], heartbeat: 1, limits: LIMITS, head: 0 });
    await settle();
    expect(client.status.state).toBe('connected');
  });
});

describe('reconnect and resume', () => {
  it('resubscribes from the last position, then resends unacked appends with the same ids, then requests', async () => {
    const { client, transport, peer } = await open({ prefetch: 10 });
    const seen: number[] = [];
    client.subscribe('s').subscribe((event) => seen.push(event.seq));
    const subscribe = await peer.nextOf('subscribe');
    peer.events(subscribe.sub, [stored(1), stored(2), stored(3)]);
    const first = client.emit('a', { type: 'x' });
    const second = client.emit('b', [{ type: 'y' }, { type: 'z' }]);
    const appendA = await peer.nextOf('append');
    const appendB = await peer.nextOf('append');
    const read = client.read('s');
    const readFrame = await peer.nextOf('read');
    await settle();
    expect(seen).toEqual([1, 2, 3]);

    const again = await dropAndResume(transport, peer);
    expect(again.unread()).toEqual([
      { type: 'subscribe', sub: subscribe.sub, stream: 's', mode: 'hot-cold', from: { after: 3 }, credit: 10 },
      appendA,
      appendB,
      readFrame,
    ]);

    // A server that resends an event the client already has causes no duplicate.
    again.events(subscribe.sub, [stored(3), stored(4)]);
    again.ack(appendA, 1);
    again.ack(appendB, 5, [0, 1]);
    again.send({ type: 'page', id: readFrame.id, events: [stored(1)], next: null });
    expect(await first).toMatchObject({ stream: 'a', seqs: [1] });
    expect(await second).toMatchObject({ stream: 'b', seqs: [5, 6], duplicates: [true, true] });
    expect((await read).events).toEqual([stored(1)]);
    await settle();
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('sends the original start position when nothing was delivered yet', async () => {
    const { client, transport, peer } = await open();
    client.subscribe('s', { from: { at: 7 }, filter: { keys: ['k'] } }).subscribe();
    const first = await peer.nextOf('subscribe');
    const again = await dropAndResume(transport, peer);
    expect(await again.next()).toEqual({ ...first, from: { at: 7 } });
  });

  it('resumes a hot subscription as hot-cold after the last position it examined', async () => {
    const { client, transport, peer } = await open();
    client.live('s').subscribe();
    client.live('t').subscribe();
    client.live('u').subscribe();
    const s = await peer.nextOf('subscribe');
    const t = await peer.nextOf('subscribe');
    const u = await peer.nextOf('subscribe');
    expect([s.mode, s.from]).toEqual(['hot', undefined]);
    peer.send({ type: 'caught-up', sub: s.sub, at: 7 });
    peer.send({ type: 'caught-up', sub: t.sub, at: 3 });
    peer.events(t.sub, [stored(4, { stream: 't' })]);
    await settle();
    const again = await dropAndResume(transport, peer);
    const frames = again.unread() as FrameOf<'subscribe'>[];
    expect(frames.map((frame) => [frame.sub, frame.mode, frame.from])).toEqual([
      [s.sub, 'hot-cold', { after: 7 }],
      [t.sub, 'hot-cold', { after: 4 }],
      [u.sub, 'hot', undefined], // never caught up: nothing known to resume from
    ]);
  });

  it('completes a cold subscription that was caught up when the connection dropped, without resubscribing', async () => {
    const { client, transport, peer } = await open();
    const seen: number[] = [];
    let completed = false;
    client.replay('s').subscribe({ next: (event) => seen.push(event.seq), complete: () => (completed = true) });
    const frame = await peer.nextOf('subscribe');
    peer.events(frame.sub, [stored(1)]);
    peer.send({ type: 'caught-up', sub: frame.sub, at: 1 });
    await settle();
    expect(completed).toBe(false);
    const again = await dropAndResume(transport, peer);
    expect(completed).toBe(true);
    expect(seen).toEqual([1]);
    expect(again.unread()).toEqual([]);
  });

  it('resubscribes with the credit still free after what an iterator has buffered', async () => {
    const { client, transport, peer } = await open({ prefetch: 6 });
    const iterator = client.iterate('s');
    const first = iterator.next();
    const frame = await peer.nextOf('subscribe');
    peer.events(frame.sub, [1, 2, 3, 4].map((seq) => stored(seq)));
    await first;
    const again = await dropAndResume(transport, peer);
    // 3 events still buffered: 6 - 3 = 3 credits, from after the last one received.
    expect(await again.next()).toMatchObject({ sub: frame.sub, from: { after: 4 }, credit: 3 });
    expect((await iterator.next()).value?.seq).toBe(2);
  });

  it("caps the credit at the server's maxCredit for a subscription opened while disconnected", async () => {
    const { client, transport, peer } = await open({ prefetch: 500 });
    peer.close();
    await settle();
    let failure: unknown;
    client.subscribe('s').subscribe({ error: (error: unknown) => (failure = error) });
    await vi.advanceTimersByTimeAsync(100);
    const again = await transport.nextPeer();
    await again.nextOf('hello');
    again.welcome({ limits: { ...LIMITS, maxCredit: 50 } });
    // More than maxCredit would be refused with `limit`, and the Observable would error.
    expect(await again.nextOf('subscribe')).toMatchObject({ credit: 50 });
    again.events(1, Array.from({ length: 30 }, (_, i) => stored(i + 1)));
    expect(await again.next()).toEqual({ type: 'credit', sub: 1, n: 25 }); // half the window of 50
    expect(failure).toBeUndefined();
  });

  it("resubscribes within a new server's smaller maxCredit, and never grants beyond it while an iterator drains what it holds", async () => {
    const { client, transport, peer } = await open({ prefetch: 10 });
    const iterator = client.iterate('s');
    const first = iterator.next();
    const frame = await peer.nextOf('subscribe');
    expect(frame.credit).toBe(10);
    peer.events(frame.sub, Array.from({ length: 10 }, (_, i) => stored(i + 1)));
    expect((await first).value?.seq).toBe(1);
    peer.close();
    await settle();
    await vi.advanceTimersByTimeAsync(100);
    const again = await transport.nextPeer();
    await again.nextOf('hello');
    again.welcome({ limits: { ...LIMITS, maxCredit: 4 } });
    // 9 events held, more than the new window: no credit until the iterator has taken them.
    expect(await again.nextOf('subscribe')).toMatchObject({ from: { after: 10 }, credit: 0 });
    let outstanding = 0;
    let seq = 10;
    for (let pulled = 2; pulled <= 30; pulled += 1) {
      if (pulled > 10 && outstanding > 0) {
        again.events(frame.sub, [stored((seq += 1))]);
        outstanding -= 1;
      }
      const next = await iterator.next();
      expect(next.value?.seq).toBe(pulled);
      await settle();
      for (const sent of again.unread()) {
        expect(sent).toMatchObject({ type: 'credit', sub: frame.sub });
        outstanding += (sent as FrameOf<'credit'>).n;
      }
      expect(outstanding, `credit held by the server after ${pulled} pulls`).toBeLessThanOrEqual(4);
    }
    await iterator.return?.();
  });

  it('fails a request or subscription that cannot be sent, alone, and resumes the rest', async () => {
    const { client, transport, peer } = await open({ codec: 'json' });
    const seen: number[] = [];
    client.subscribe('s').subscribe((event) => seen.push(event.seq));
    const subscribe = await peer.nextOf('subscribe');
    peer.close();
    await settle();
    // Queued while disconnected: a JSON codec cannot encode a bigint, nor anything a circular object.
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    const badRead = outcome(client.read('s', { limit: 10n as unknown as number }));
    const badSurface = outcome(client.surface(circular as unknown as string));
    let badSubscription: unknown;
    client.subscribe('t', { filter: { types: [circular as unknown as string] } }).subscribe({ error: (error: unknown) => (badSubscription = error) });
    const goodRead = client.read('s');
    await vi.advanceTimersByTimeAsync(100);
    const again = await transport.nextPeer();
    await again.nextOf('hello');
    again.welcome();
    await settle();
    expect((await badRead).error).toMatchObject({ code: 'bad-frame' });
    expect((await badSurface).error).toMatchObject({ code: 'bad-frame' });
    expect(badSubscription).toMatchObject({ code: 'bad-frame' });
    expect(client.status.state).toBe('connected');
    const frames = again.unread();
    expect(frames.map((frame) => frame.type)).toEqual(['subscribe', 'read']);
    again.events(subscribe.sub, [stored(1)]);
    again.send({ type: 'page', id: (frames[1] as FrameOf<'read'>).id, events: [], next: null });
    expect((await goodRead).events).toEqual([]);
    await settle();
    expect(seen).toEqual([1]);
    // Connected, it fails at once too, and nothing is left to be resent.
    expect((await outcome(client.read('s', { limit: 10n as unknown as number }))).error).toMatchObject({ code: 'bad-frame' });
    await settle();
    expect(again.unread()).toEqual([]);
  });

  it('resumes a pattern subscription from the last store-wide position', async () => {
    const { client, transport, peer } = await open();
    client.subscribe('$all').subscribe();
    const frame = await peer.nextOf('subscribe');
    peer.events(frame.sub, [stored(1, { pos: 40 }), stored(1, { stream: 'x', pos: 41 })]);
    await settle();
    const again = await dropAndResume(transport, peer);
    expect(await again.next()).toMatchObject({ stream: '$all', from: { after: 41 } });
  });

  it('fails appends behind a failure already received with ChainBrokenError instead of resending them', async () => {
    const { client, transport, peer } = await open();
    const a = outcome(client.emit('s', { type: 'a' }, { expected: 0 }));
    const b = outcome(client.emit('s', { type: 'b' }));
    const c = client.emit('t', { type: 'c' });
    const d = client.emit('u', { type: 'd' });
    const fa = await peer.nextOf('append');
    await peer.nextOf('append');
    const fc = await peer.nextOf('append');
    const fd = await peer.nextOf('append');
    peer.send({ type: 'error', id: fa.id, code: 'wrong-expected-version', message: 'no', details: { stream: 's', expected: 0, actual: 1 } });
    expect((await a).error).toBeInstanceOf(WrongExpectedVersionError);

    const again = await dropAndResume(transport, peer);
    const { error } = await b;
    expect(error).toBeInstanceOf(ChainBrokenError);
    expect(again.unread()).toEqual([fc, fd]);
    again.ack(fc, 1);
    again.ack(fd, 1);
    await Promise.all([c, d]);
  });

  it('resends appends queued behind a failure that had not arrived when the connection dropped', async () => {
    const { client, transport, peer } = await open();
    void outcome(client.emit('s', { type: 'a' }, { expected: 0 }));
    void outcome(client.emit('s', { type: 'b' }));
    const fa = await peer.nextOf('append');
    const fb = await peer.nextOf('append');
    const again = await dropAndResume(transport, peer);
    expect(again.unread()).toEqual([fa, fb]);
  });

  it('fails an invalidate in flight when the connection drops instead of resending it', async () => {
    const { client, transport, peer } = await open();
    const invalidated = outcome(client.invalidate('s', 3));
    await peer.nextOf('invalidate');
    const again = await dropAndResume(transport, peer);
    const { error } = await invalidated;
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect(again.unread()).toEqual([]);
  });

  it('queues emits while disconnected and sends them after the resends', async () => {
    const { client, transport, peer } = await open();
    fire(client.emit('s', { type: 'before' }));
    const before = await peer.nextOf('append');
    peer.close();
    await settle();
    expect(client.status.state).toBe('reconnecting');
    fire(client.emit('s', { type: 'during' }));
    await vi.advanceTimersByTimeAsync(100);
    const again = await transport.nextPeer();
    await again.nextOf('hello');
    again.welcome();
    expect(await again.next()).toEqual(before);
    expect(((await again.nextOf('append')).events[0] as { type: string }).type).toBe('during');
  });

  it('dials again when the server closes a reconnect before welcome (4000), failing nothing', async () => {
    const { client, transport, peer } = await open();
    let failure: unknown;
    const seen: number[] = [];
    client.subscribe('s').subscribe({ next: (event) => seen.push(event.seq), error: (error: unknown) => (failure = error) });
    const subscribe = await peer.nextOf('subscribe');
    peer.events(subscribe.sub, [stored(1)]);
    const emitted = client.emit('s', { type: 'a' });
    const append = await peer.nextOf('append');
    peer.close(4000);
    await settle();
    await vi.advanceTimersByTimeAsync(100);
    // The handshake of the reconnect is cut: the session's ConnectionClosedError goes no further than the dial loop.
    const cut = await transport.nextPeer();
    await cut.nextOf('hello');
    cut.close(4000);
    await settle();
    expect(client.status).toMatchObject({ state: 'reconnecting', attempt: 2, error: { code: 'closed' } });
    await vi.advanceTimersByTimeAsync(200);
    const again = await transport.nextPeer();
    await again.nextOf('hello');
    again.welcome();
    expect(await again.next()).toMatchObject({ type: 'subscribe', from: { after: 1 } });
    expect(await again.next()).toEqual(append);
    again.ack(append, 2);
    expect(await emitted).toMatchObject({ seq: 2 });
    again.events(subscribe.sub, [stored(2)]);
    await settle();
    expect(seen).toEqual([1, 2]);
    expect(failure).toBeUndefined();
  });

  it('waits with exponential backoff between dials, capped at maxDelayMs', async () => {
    const { transport, peer } = await open({ reconnect: { initialDelayMs: 100, maxDelayMs: 300 } });
    transport.refusals = 3;
    const droppedAt = Date.now();
    peer.close();
    await settle();
    await vi.advanceTimersByTimeAsync(99);
    expect(transport.dials).toBe(1);
    await vi.advanceTimersByTimeAsync(2000);
    const waits = transport.dialTimes.slice(1).map((time, index) => time - (index === 0 ? droppedAt : (transport.dialTimes[index] as number)));
    expect(waits).toEqual([100, 200, 300, 300]);
    const again = await transport.nextPeer();
    await again.nextOf('hello');
  });

  it('reports the status sequence on status$, replaying the current status to a new subscriber', async () => {
    const { client, transport, peer } = await open();
    const statuses: ConnectionStatus[] = [];
    let completed = false;
    client.status$.subscribe({ next: (status) => statuses.push(status), complete: () => (completed = true) });
    transport.refusals = 1;
    peer.close();
    await settle();
    await vi.advanceTimersByTimeAsync(300);
    const again = await transport.nextPeer();
    await again.nextOf('hello');
    again.welcome({ server: 'second' });
    await settle();
    await client.close();
    expect(statuses.map((status) => [status.state, status.attempt, status.server])).toEqual([
      ['connected', 0, 'fake'],
      ['reconnecting', 1, undefined],
      ['reconnecting', 2, undefined],
      ['connected', 0, 'second'],
      ['closed', 0, undefined],
    ]);
    expect(statuses[1]?.error).toBeInstanceOf(ConnectionClosedError);
    expect(statuses[2]?.error?.message).toContain('connection refused');
    expect(completed).toBe(true);
  });

  it('treats an undecodable frame as a protocol violation: closes that connection and reconnects', async () => {
    const { client, transport, peer } = await open();
    const statuses: ConnectionStatus[] = [];
    client.status$.subscribe((status) => statuses.push(status));
    peer.connection.send(new Uint8Array([0x81, 0xa4])); // a truncated msgpack map
    await settle();
    expect(peer.closeInfo).toMatchObject({ code: 4002, local: false });
    expect(statuses[1]).toMatchObject({ state: 'reconnecting', error: { code: 'bad-frame' } });
    await vi.advanceTimersByTimeAsync(100);
    expect(transport.peers).toHaveLength(2);
  });

  it('treats a frame that fails validation as a protocol violation', async () => {
    const { client, peer } = await open();
    peer.send({ type: 'appended', id: -1, stream: 's', tx: 1, seqs: [], positions: [] });
    await settle();
    expect(peer.closeInfo?.code).toBe(1002);
    expect(client.status).toMatchObject({ state: 'reconnecting', error: { code: 'bad-frame' } });
  });

  it('explains a drop with the error the server sent before closing', async () => {
    const { client, peer } = await open();
    peer.send({ type: 'error', code: 'too-large', message: 'frame too large' });
    peer.close(1009);
    await settle();
    expect(client.status).toMatchObject({ state: 'reconnecting', error: { code: 'too-large' } });
  });

  it('gives up after maxAttempts: fails emits and subscriptions, status closed', async () => {
    const { client, transport, peer } = await open({ reconnect: { maxAttempts: 2, initialDelayMs: 10 } });
    let failure: unknown;
    client.subscribe('s').subscribe({ error: (error: unknown) => (failure = error) });
    await peer.nextOf('subscribe');
    const pending = outcome(client.emit('s', { type: 'a' }));
    await peer.nextOf('append');
    transport.refusals = 10;
    peer.close();
    await settle();
    await vi.advanceTimersByTimeAsync(1000);
    expect(transport.dials).toBe(3); // the first connection and 2 attempts
    expect(client.status.state).toBe('closed');
    expect(client.status.error?.message).toContain('refused');
    expect(failure).toBeInstanceOf(ConnectionClosedError);
    expect((await pending).error).toBeInstanceOf(ConnectionClosedError);
    expect((await outcome(client.emit('s', { type: 'b' }))).error).toBeInstanceOf(ConnectionClosedError);
  });

  it('closes instead of reconnecting when reconnect is disabled', async () => {
    const { client, transport, peer } = await open({ reconnect: { enabled: false } });
    peer.close();
    await settle();
    await vi.advanceTimersByTimeAsync(1000);
    expect(client.status.state).toBe('closed');
    expect(transport.dials).toBe(1);
  });
});

describe('keep-alive', () => {
  it('pings after one idle interval, answers pings, and drops a server silent for three intervals', async () => {
    const transport = new FakeTransport();
    const connecting = connect(transport, { reconnect: { jitter: 0 } });
    const peer = await transport.nextPeer();
    await peer.nextOf('hello');
    peer.welcome({ heartbeat: 1000 });
    const client = await connecting;
    clients.push(client);

    await vi.advanceTimersByTimeAsync(1000);
    const ping = await peer.nextOf('ping');
    expect(typeof ping.nonce).toBe('number');
    peer.send({ type: 'ping', nonce: 42 });
    expect(await peer.next()).toEqual({ type: 'pong', nonce: 42 });

    // Last sign of life: the ping at t=1000. Dead at t=4000.
    await vi.advanceTimersByTimeAsync(2900);
    expect(peer.closeInfo).toBeUndefined();
    await vi.advanceTimersByTimeAsync(100);
    expect(peer.closeInfo?.code).toBe(4000);
    expect(client.status).toMatchObject({ state: 'reconnecting', error: { code: 'timeout' } });
  });

  it('sends no ping while it keeps sending frames', async () => {
    const transport = new FakeTransport();
    const connecting = connect(transport);
    const peer = await transport.nextPeer();
    await peer.nextOf('hello');
    peer.welcome({ heartbeat: 1000 });
    const client = await connecting;
    clients.push(client);
    for (let i = 0; i < 5; i += 1) {
      await vi.advanceTimersByTimeAsync(600);
      fire(client.emit('s', { type: 'x' }));
      const frame = await peer.nextOf('append');
      peer.ack(frame, i + 1);
    }
    await settle();
    expect(peer.unread()).toEqual([]);
  });
});

describe('close', () => {
  it('rejects pending emits and requests, completes subscriptions, and closes the connection', async () => {
    const { client, peer } = await open();
    let completed = false;
    client.subscribe('s').subscribe({ complete: () => (completed = true) });
    await peer.nextOf('subscribe');
    const emit = outcome(client.emit('s', { type: 'a' }));
    const info = outcome(client.info());
    await settle();
    await client.close();
    expect((await emit).error).toBeInstanceOf(ConnectionClosedError);
    expect((await info).error).toBeInstanceOf(ConnectionClosedError);
    expect(completed).toBe(true);
    expect(client.status).toEqual({ state: 'closed', attempt: 0 });
    expect(peer.closeInfo).toMatchObject({ code: 1000, local: false });
    expect((await outcome(client.emit('s', { type: 'b' }))).error).toBeInstanceOf(ConnectionClosedError);
    let failure: unknown;
    client.subscribe('s').subscribe({ error: (error: unknown) => (failure = error) });
    expect(failure).toBeInstanceOf(ConnectionClosedError);
    await client.close(); // idempotent
  });

  it('stops a reconnect in progress', async () => {
    const { client, transport, peer } = await open();
    transport.refusals = 100;
    peer.close();
    await settle();
    await vi.advanceTimersByTimeAsync(350);
    const dials = transport.dials;
    await client.close();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(transport.dials).toBe(dials);
    expect(client.status.state).toBe('closed');
  });
});

describe('the store identity across reconnects (SPEC 12)', () => {
  /** A client whose first welcome names `store` (or none). */
  async function openOn(store: string | undefined): Promise<{ client: Client; transport: FakeTransport; peer: FakePeer }> {
    const transport = new FakeTransport();
    const connecting = connect(transport, { reconnect: { jitter: 0 } });
    const peer = await transport.nextPeer();
    await peer.nextOf('hello');
    peer.welcome(store === undefined ? {} : { store });
    const client = await connecting;
    clients.push(client);
    return { client, transport, peer };
  }

  /** Drops the connection and answers the client's next hello with a welcome naming `store` (or none). */
  async function reconnectTo(transport: FakeTransport, peer: FakePeer, store: string | undefined): Promise<FakePeer> {
    peer.close(1006);
    await settle();
    await vi.advanceTimersByTimeAsync(100);
    const next = await transport.nextPeer();
    await next.nextOf('hello');
    next.welcome(store === undefined ? {} : { store });
    await settle();
    return next;
  }

  /** A subscription with one event delivered, an emit in flight and one queued while disconnected. */
  async function pendingWork(client: Client, peer: FakePeer) {
    const received: StoredEvent[] = [];
    let ended: unknown;
    client.subscribe('orders').subscribe({ next: (event) => received.push(event), error: (error: unknown) => (ended = error) });
    const subscribe = await peer.nextOf('subscribe');
    peer.events(subscribe.sub, [stored(1)]);
    const inFlight = outcome(client.emit('orders', { id: 'in-flight', type: 'a' }));
    await peer.nextOf('append');
    await settle();
    return { received, ended: () => ended, inFlight };
  }

  it('another store: the subscription, the emits in flight and queued, and the requests fail store-changed, and none is sent', async () => {
    const { client, transport, peer } = await openOn('store-a');
    expect(client.status.store).toBe('store-a');
    const work = await pendingWork(client, peer);
    const reading = outcome(client.read('orders'));
    await peer.nextOf('read');
    peer.close(1006);
    await settle();
    const queued = outcome(client.emit('orders', { id: 'queued', type: 'a' }));
    await vi.advanceTimersByTimeAsync(100);
    const next = await transport.nextPeer();
    await next.nextOf('hello');
    next.welcome({ store: 'store-b' });
    await settle();

    expect(work.ended(), 'the subscription ends with StoreChangedError').toBeInstanceOf(StoreChangedError);
    expect((work.ended() as StoreChangedError).details).toEqual({ previous: 'store-a', current: 'store-b' });
    expect(work.received.map((event) => event.seq), 'after the event it had received').toEqual([1]);
    for (const [name, result] of [
      ['in flight', await work.inFlight],
      ['queued', await queued],
      ['read', await reading],
    ] as const) {
      expect(result.error, `the ${name} one fails store-changed`).toBeInstanceOf(StoreChangedError);
    }
    expect(next.unread(), 'nothing of before is sent to the other store').toEqual([]);
    expect(client.status.store).toBe('store-b');

    // What comes after goes to the new store.
    const fresh = outcome(client.emit('orders', { id: 'fresh', type: 'a' }));
    const append = await next.nextOf('append');
    expect(append.events.map((event) => event.id)).toEqual(['fresh']);
    next.ack(append, 1);
    expect((await fresh).value?.seq).toBe(1);
  });

  it('no store named after one: the same, with no current store in the error', async () => {
    const { client, transport, peer } = await openOn('store-a');
    const work = await pendingWork(client, peer);
    const next = await reconnectTo(transport, peer, undefined);
    expect(work.ended()).toBeInstanceOf(StoreChangedError);
    expect((work.ended() as StoreChangedError).details).toEqual({ previous: 'store-a' });
    expect((await work.inFlight).error).toBeInstanceOf(StoreChangedError);
    expect(next.unread()).toEqual([]);
  });

  it('the same store, or no store known yet: everything resumes as before', async () => {
    for (const [first, second] of [
      ['store-a', 'store-a'],
      [undefined, 'store-a'],
      [undefined, undefined],
    ] as const) {
      const { client, transport, peer } = await openOn(first);
      const work = await pendingWork(client, peer);
      const next = await reconnectTo(transport, peer, second);
      const resent = next.unread().map((frame) => frame.type);
      expect(resent, `${first} then ${second}: resubscribed, then the append resent`).toEqual(['subscribe', 'append']);
      expect(work.ended(), `${first} then ${second}: the subscription goes on`).toBeUndefined();
      await client.close();
    }
  });
});
