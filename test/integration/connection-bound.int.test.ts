import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';
import type { ClientFrame, ServerFrame } from '../../protocol/frames.js';
import { ANSWERS_IN_FLIGHT, SUBSCRIPTION_PAGE_SIZE } from '../../server-reference/limits.js';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { createMemoryPair } from '../../transports/memory/index.js';
import type { Connection } from '../../transports/transport.js';

/*
 * The server's bound on what one connection holds unsent (issue 15), over the memory transport,
 * whose paused side stands for a client that stops reading its socket: the server's end counts
 * what the client has not taken and says when it drained, as a socket does. The same session
 * logic runs over ws (unread-socket.int.test.ts, a real process) and amqp.
 */

const BOUND = 64 * 1024;
/** About what one stored event of these tests weighs in msgpack. */
const EVENT_BYTES = 400;
const HISTORY = 20_000;

const settle = async (rounds = 20): Promise<void> => {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** A client end after its handshake, that decodes what it gets, and the server's end of the same connection. */
async function attach(
  server: TauonServer,
): Promise<{ client: Connection; serverEnd: Connection; frames: ServerFrame[]; send: (frame: ClientFrame) => void }> {
  const [client, serverEnd] = createMemoryPair();
  const frames: ServerFrame[] = [];
  client.onFrame((bytes) => frames.push(msgpackCodec.decode(bytes) as ServerFrame));
  server.accept(serverEnd);
  const send = (frame: ClientFrame): void => client.send(msgpackCodec.encode(frame));
  send({ type: 'hello', versions: [1] });
  await until(() => frames.some((frame) => frame.type === 'welcome'), 5000, 'welcome');
  return { client, serverEnd, frames, send };
}

async function fill(server: TauonServer, stream: string, count: number, first: number): Promise<void> {
  const payload = 'p'.repeat(EVENT_BYTES - 100);
  for (let start = 0; start < count; start += 1000) {
    const size = Math.min(1000, count - start);
    const answer = await server.request({
      type: 'append',
      id: 0,
      stream,
      events: Array.from({ length: size }, (_, i) => ({ type: 'Load', data: { n: first + start + i, payload } })),
    });
    expect(answer.type).toBe('appended');
  }
}

/** Waits until `done` holds, settling in between, for at most `ms`. */
async function until(done: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('a connection over its bound of unsent bytes', () => {
  let store: MemoryStore;
  let server: TauonServer;
  beforeEach(async () => {
    store = new MemoryStore();
    server = new TauonServer({ store, maxBufferedBytes: BOUND, heartbeatMs: 600_000 });
    await fill(server, 'load', HISTORY, 1);
  });
  afterEach(async () => {
    await server.close();
    await store.close();
  });

  it('holds its subscriptions where they are, live ones too, and each goes on in order, once, when it drains', async () => {
    const { client, serverEnd, frames, send } = await attach(server);
    // A live subscription first, caught up while the client still reads.
    send({ type: 'subscribe', sub: 3, stream: 'load', mode: 'hot-cold', credit: 100_000 });
    await until(() => frames.some((frame) => frame.type === 'caught-up'), 10_000, 'caught-up');
    client.pauseReceiving!(true);
    send({ type: 'subscribe', sub: 1, stream: 'load', mode: 'cold', credit: 100_000 });
    send({ type: 'subscribe', sub: 2, stream: '$all', mode: 'cold', credit: 100_000 });
    await settle();
    const held = serverEnd.bufferedAmount;
    expect(held, 'the server sent up to its bound').toBeGreaterThan(BOUND);
    // The bound, and at most one page more for each subscription that was reading at the time.
    expect(held).toBeLessThan(BOUND + 2 * SUBSCRIPTION_PAGE_SIZE * EVENT_BYTES);
    // Commits while it waits: the live subscription is told it fell behind, and reads them from the store later.
    await fill(server, 'load', 5000, HISTORY + 1);
    await settle();
    expect(serverEnd.bufferedAmount, 'no events were sent, only fell-behind').toBeLessThan(held + 100);

    const seen = new Map<number, number[]>([
      [1, []],
      [2, []],
      [3, []],
    ]);
    let taken = 0;
    client.pauseReceiving!(false);
    await until(
      () => {
        for (; taken < frames.length; taken++) {
          const frame = frames[taken]!;
          if (frame.type === 'events') seen.get(frame.sub)!.push(...frame.events.map((event) => event.seq));
        }
        return seen.get(3)!.length >= HISTORY + 5000 && frames.filter((frame) => frame.type === 'complete').length === 2;
      },
      20_000,
      'every event',
    );
    const inOrder = (count: number) => Array.from({ length: count }, (_, i) => i + 1);
    expect(seen.get(1)).toEqual(inOrder(HISTORY));
    expect(seen.get(2)).toEqual(inOrder(HISTORY));
    expect(seen.get(3)).toEqual(inOrder(HISTORY + 5000));
    const liveStates = frames.filter((frame) => (frame.type === 'caught-up' || frame.type === 'fell-behind') && frame.sub === 3).map((frame) => frame.type);
    expect(liveStates).toEqual(['caught-up', 'fell-behind', 'caught-up']);
    expect(frames.filter((frame) => frame.type === 'error')).toEqual([]);
  }, 60_000);

  it('stops taking pipelined requests while their answers wait, and answers each once it drains', async () => {
    const { client, serverEnd, frames, send } = await attach(server);
    client.pauseReceiving!(true);
    const READS = 300;
    for (let id = 0; id < READS; id++) send({ type: 'read', id, stream: 'load', limit: 1000 });
    await settle(50);
    const answerBytes = 1000 * EVENT_BYTES;
    // The bound, plus the answers of the requests taken before it was reached.
    expect(serverEnd.bufferedAmount).toBeGreaterThan(BOUND);
    expect(serverEnd.bufferedAmount).toBeLessThan(BOUND + (ANSWERS_IN_FLIGHT + 1) * answerBytes);
    // The rest wait in the transport, untaken.
    expect(client.bufferedAmount).toBeGreaterThan(0);

    client.pauseReceiving!(false);
    await until(() => frames.filter((frame) => frame.type === 'page').length === READS, 20_000, 'every answer');
    const ids = frames.flatMap((frame) => (frame.type === 'page' ? [frame.id] : []));
    expect(new Set(ids).size).toBe(READS);
    expect(frames.filter((frame) => frame.type === 'error')).toEqual([]);
  }, 60_000);

  it('closes with 4000 a client that reads nothing for 3 heartbeat intervals, its unread pings no sign of life', async () => {
    const quick = new TauonServer({ store, maxBufferedBytes: BOUND, heartbeatMs: 100 });
    try {
      const { client, serverEnd, send } = await attach(quick);
      client.pauseReceiving!(true);
      send({ type: 'subscribe', sub: 1, stream: 'load', mode: 'cold', credit: 100_000 });
      await settle();
      expect(serverEnd.bufferedAmount).toBeGreaterThan(BOUND);
      const pinging = setInterval(() => send({ type: 'ping' }), 20);
      try {
        const closed = await Promise.race([client.closed, new Promise((resolve) => setTimeout(() => resolve('still open'), 5000))]);
        expect(closed).toMatchObject({ code: 4000 });
      } finally {
        clearInterval(pinging);
      }
    } finally {
      await quick.close();
    }
  }, 30_000);

  it('lets a client that reads get everything at full pace, the bound never in the way of order', async () => {
    const { frames, send } = await attach(server);
    send({ type: 'subscribe', sub: 1, stream: 'load', mode: 'cold', credit: 100_000 });
    await until(() => frames.some((frame) => frame.type === 'complete'), 20_000, 'complete');
    const seqs = frames.flatMap((frame) => (frame.type === 'events' ? frame.events.map((event) => event.seq) : []));
    expect(seqs).toEqual(Array.from({ length: HISTORY }, (_, i) => i + 1));
  }, 60_000);
});
