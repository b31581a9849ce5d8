import { afterEach, describe, expect, it } from 'vitest';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';
import type { ClientFrame, ServerFrame } from '../../protocol/frames.js';
import type { ProjectionDefinition } from '../../server-reference/projections/projection-definition.js';
import { MAX_WATCH_PENDING_KEYS } from '../../server-reference/projections/projection-watch.js';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { createMemoryPair } from '../../transports/memory/index.js';
import type { Connection } from '../../transports/transport.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { startServer, type RunningServer } from '../support/harness.js';
import { until } from '../support/until.js';

/*
 * The session's side of projections (SPEC 18) in raw frames: what a watch is among the
 * subscriptions of a connection (credit, sub ids, unsubscribe, close), and the bound on what the
 * server holds for a watcher that does not read: the newest change of each key, then overloaded.
 */

/** The number of events of each key, over `$all`. */
const PER_KEY: ProjectionDefinition = {
  name: 'per-key',
  stream: '$all',
  initial: 0,
  key: (event) => event.key,
  evolve: (count) => (count as number) + 1,
};

let running: RunningServer | undefined;
let server: TauonServer | undefined;
let store: MemoryStore | undefined;
afterEach(async () => {
  await running?.close();
  await server?.close();
  await store?.close();
  running = undefined;
  server = undefined;
  store = undefined;
});

describe('a watch in the session', () => {
  it('says projection-watching first, ignores credit, keeps its sub until unsubscribed, and frees it then', async () => {
    running = await startServer('ws', { projections: [PER_KEY] });
    const peer = await RawPeer.open(() => running!.connect());
    peer.send({ type: 'watch-projection', sub: 1, name: 'per-key', key: 'k' });
    expect(await peer.expect('projection-watching')).toMatchObject({ sub: 1, name: 'per-key', checkpoint: 0 });
    peer.send({ type: 'credit', sub: 1, n: 5 });
    peer.send({ type: 'subscribe', sub: 1, stream: 'x', mode: 'hot', credit: 1 });
    expect(await peer.expect('error')).toMatchObject({ sub: 1, code: 'protocol' });
    peer.send({ type: 'append', id: 2, stream: 's', events: [{ type: 'T', key: 'k' }] });
    expect(await peer.expect('projection-changed')).toMatchObject({ sub: 1, name: 'per-key', key: 'k', value: 1 });
    // No error answered the credit (the only one, taken above, answered the subscribe).
    expect(peer.pending().filter((frame) => frame.type === 'error')).toEqual([]);
    peer.send({ type: 'unsubscribe', sub: 1 });
    // The sub is free again: a new watch may take it.
    peer.send({ type: 'watch-projection', sub: 1, name: 'per-key', key: 'other' });
    expect(await peer.next((frame) => frame.type === 'projection-watching' && frame.sub === 1 && frame.checkpoint >= 1)).toBeDefined();
  });

  it('answers a watch of a name the server does not run not-found, and one beyond maxSubscriptions limit', async () => {
    running = await startServer('memory', { projections: [PER_KEY], limits: { maxFrameBytes: 1 << 20, maxEventsPerAppend: 100, maxSubscriptions: 2, maxCredit: 1000, maxReadLimit: 100 } });
    const peer = await RawPeer.open(() => running!.connect());
    peer.send({ type: 'watch-projection', sub: 1, name: 'nobody' });
    expect(await peer.expect('error')).toMatchObject({ sub: 1, code: 'not-found' });
    peer.send({ type: 'watch-projection', sub: 2, name: 'per-key' });
    peer.send({ type: 'subscribe', sub: 3, stream: 's', mode: 'hot', credit: 1 });
    peer.send({ type: 'watch-projection', sub: 4, name: 'per-key' });
    expect(await peer.next((frame) => frame.type === 'error' && frame.sub === 4)).toMatchObject({ code: 'limit' });
  });
});

/** A client end after its handshake that decodes what it gets, and the server's end of the connection. */
async function attach(target: TauonServer): Promise<{ client: Connection; serverEnd: Connection; frames: ServerFrame[]; send: (frame: ClientFrame) => void }> {
  const [client, serverEnd] = createMemoryPair();
  const frames: ServerFrame[] = [];
  client.onFrame((bytes) => frames.push(msgpackCodec.decode(bytes) as ServerFrame));
  target.accept(serverEnd);
  const send = (frame: ClientFrame): void => client.send(msgpackCodec.encode(frame));
  send({ type: 'hello', versions: [1] });
  await until(() => frames.some((frame) => frame.type === 'welcome'), 'welcome');
  return { client, serverEnd, frames, send };
}

/** Appends `events` in appends of at most 1000; the pos of the last. */
async function appendAll(target: TauonServer, events: { type: string; key: string }[]): Promise<number> {
  let last = 0;
  for (let from = 0; from < events.length; from += 1000) {
    const answer = await target.request({ type: 'append', id: 0, stream: 'load', events: events.slice(from, from + 1000) });
    if (answer.type !== 'appended') throw new Error(JSON.stringify(answer));
    last = answer.positions.at(-1)!;
  }
  return last;
}

/** Waits until the projection's state includes `pos`. */
async function caughtUp(target: TauonServer, pos: number): Promise<void> {
  await target.projections!.get('per-key', '', { atLeast: pos, timeoutMs: 20_000 });
}

describe('a watcher that does not read', () => {
  const BOUND = 2048;

  it('is sent only the newest change of each key while the connection is full, each key in order, checkpoints rising', async () => {
    store = new MemoryStore();
    server = new TauonServer({ store, projections: [PER_KEY], maxBufferedBytes: BOUND, heartbeatMs: 600_000 });
    const { client, frames, send } = await attach(server);
    send({ type: 'watch-projection', sub: 1, name: 'per-key' });
    await until(() => frames.some((frame) => frame.type === 'projection-watching'), 'projection-watching');
    client.pauseReceiving!(true);
    // 200 commits of 3 keys each: far more changes than the bound holds.
    let last = 0;
    for (let round = 1; round <= 200; round += 1) last = await appendAll(server, ['a', 'b', 'c'].map((key) => ({ type: 'T', key })));
    await caughtUp(server, last);
    client.pauseReceiving!(false);
    await until(() => ['a', 'b', 'c'].every((key) => frames.some((frame) => frame.type === 'projection-changed' && frame.key === key && frame.value === 200)), 'the newest value of each key');
    const changes = frames.filter((frame) => frame.type === 'projection-changed');
    expect(changes.length, 'intermediate values were replaced while the connection was full').toBeLessThan(600);
    for (const key of ['a', 'b', 'c']) {
      const values = changes.filter((frame) => frame.key === key).map((frame) => frame.value as number);
      expect(values).toEqual([...values].sort((x, y) => x - y));
      expect(new Set(values).size).toBe(values.length);
    }
    const checkpoints = changes.map((frame) => frame.checkpoint);
    expect(checkpoints).toEqual([...checkpoints].sort((x, y) => x - y));
    expect(frames.filter((frame) => frame.type === 'error')).toEqual([]);
  }, 60_000);

  it('is ended with overloaded once more keys changed than the server holds, and the session goes on', async () => {
    store = new MemoryStore();
    server = new TauonServer({ store, projections: [PER_KEY], maxBufferedBytes: BOUND, heartbeatMs: 600_000 });
    const { client, serverEnd, frames, send } = await attach(server);
    send({ type: 'watch-projection', sub: 1, name: 'per-key' });
    await until(() => frames.some((frame) => frame.type === 'projection-watching'), 'projection-watching');
    client.pauseReceiving!(true);
    const keys = Array.from({ length: MAX_WATCH_PENDING_KEYS + 500 }, (_, i) => ({ type: 'T', key: `k${i}` }));
    await caughtUp(server, await appendAll(server, keys));
    const held = serverEnd.bufferedAmount;
    client.pauseReceiving!(false);
    await until(() => frames.some((frame) => frame.type === 'error' && frame.sub === 1), 'the watch ended');
    const error = frames.find((frame) => frame.type === 'error');
    expect(error).toMatchObject({ sub: 1, code: 'overloaded' });
    expect(held, 'the server held no more than its bound and a frame or two').toBeLessThan(BOUND + 1024);
    // The watch is over: nothing more of it comes, and the session answers.
    const after = frames.length;
    send({ type: 'projections', id: 9 });
    await until(() => frames.some((frame) => frame.type === 'projection-list'), 'projection-list');
    expect(frames.slice(after).filter((frame) => frame.type === 'projection-changed')).toEqual([]);
  }, 60_000);
});
