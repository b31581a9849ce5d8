import { afterEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../protocol/frames.js';
import { MOST_FAN_OUT_HOLD_MS } from '../../server-reference/fan-out-pacer.js';
import { RECENT_COMMIT_EVENTS, SUBSCRIPTION_STALLED_MS } from '../../server-reference/limits.js';
import type { Direction } from '../../server-reference/stores/event-store.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { startServer, type RunningServer } from '../support/harness.js';

/** A memory store that counts the reads the server makes of it. */
class CountingStore extends MemoryStore {
  reads = 0;

  override readStream(stream: string, from: number, direction: Direction, limit: number): Promise<StoredEvent[]> {
    this.reads += 1;
    return super.readStream(stream, from, direction, limit);
  }

  override readAll(from: number, direction: Direction, limit: number, prefix?: string): Promise<StoredEvent[]> {
    this.reads += 1;
    return super.readAll(from, direction, limit, prefix);
  }
}

/** Collects `sub`'s events until there are `count`, and the frames they came in. */
async function collect(peer: RawPeer, sub: number, count: number): Promise<{ events: StoredEvent[]; frames: number }> {
  const events: StoredEvent[] = [];
  let frames = 0;
  while (events.length < count) {
    events.push(...(await peer.expect('events', { sub })).events);
    frames += 1;
  }
  return { events, frames };
}

async function append(writer: RawPeer, id: number, stream: string, events: { type: string; key?: string }[]): Promise<void> {
  writer.send({ type: 'append', id, stream, events });
  const answer = await writer.expect('appended', { id }).catch(async () => writer.expect('error', { id }));
  if (answer.type !== 'appended') throw new Error(`append ${id} failed: ${JSON.stringify(answer)}`);
}

const ticks = (count: number, type = 'Tick'): { type: string }[] => Array.from({ length: count }, () => ({ type }));

describe.each(['memory', 'ws'] as const)('a live subscriber that fell behind, over %s', (kind) => {
  let running: RunningServer | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  async function start(): Promise<{ store: CountingStore; peer: RawPeer; writer: RawPeer }> {
    const store = new CountingStore();
    running = await startServer(kind, { store, behindThreshold: 20 });
    const server = running;
    return { store, peer: await RawPeer.open(() => server.connect()), writer: await RawPeer.open(() => server.connect()) };
  }

  it('within the recent commits, catches up from them in one frame, without reading the store', async () => {
    const { store, peer, writer } = await start();
    peer.send({ type: 'subscribe', sub: 1, stream: 'busy', mode: 'hot-cold', credit: 5 });
    await peer.expect('caught-up', { sub: 1 });
    for (let i = 0; i < 4; i += 1) await append(writer, i, 'busy', ticks(10));
    const direct = await collect(peer, 1, 5); // the credit took 5 of the first commit's 10
    await peer.expect('fell-behind', { sub: 1 });
    // On a busy machine the fan-out pacer may hold the last commit for up to MOST_FAN_OUT_HOLD_MS;
    // one caught up while it is held is sent the held commit in a second frame. A timer set now
    // fires after the pacer's, so the last commit is among the recent ones before the credit.
    await new Promise((resolve) => setTimeout(resolve, MOST_FAN_OUT_HOLD_MS * 5));
    const readsBefore = store.reads;
    peer.send({ type: 'credit', sub: 1, n: 100 });
    const rest = await collect(peer, 1, 35);
    expect([...direct.events, ...rest.events].map((event) => event.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(rest.frames).toBe(1);
    expect((await peer.expect('caught-up', { sub: 1 })).at).toBe(40);
    expect(store.reads).toBe(readsBefore);
    // Following again at the head: the next commit comes directly.
    await append(writer, 9, 'busy', ticks(3));
    expect((await collect(peer, 1, 3)).events.map((event) => event.seq)).toEqual([41, 42, 43]);
    peer.close();
    writer.close();
  });

  it('a pattern with a filter takes its events across commits of other streams, in position order', async () => {
    const { store, peer, writer } = await start();
    peer.send({ type: 'subscribe', sub: 2, stream: 'orders.*', mode: 'hot-cold', credit: 2, filter: { types: ['Keep'] } });
    await peer.expect('caught-up', { sub: 2 });
    let id = 0;
    for (let round = 0; round < 6; round += 1) {
      await append(writer, id++, 'orders.1', [{ type: 'Keep' }, { type: 'Skip' }, { type: 'Keep' }]);
      await append(writer, id++, 'payments.1', ticks(2, 'Keep'));
      await append(writer, id++, `orders.${round}`, [{ type: 'Skip' }, { type: 'Keep' }]);
    }
    const first = await collect(peer, 2, 2);
    const readsBefore = store.reads;
    peer.send({ type: 'credit', sub: 2, n: 100 });
    const rest = await collect(peer, 2, 16);
    const got = [...first.events, ...rest.events];
    expect(got.every((event) => event.type === 'Keep' && event.stream.startsWith('orders.'))).toBe(true);
    const positions = got.map((event) => event.pos);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(new Set(positions).size).toBe(18);
    expect(store.reads).toBe(readsBefore);
    peer.close();
    writer.close();
  });

  it('behind by more than the recent commits keep, catches up from the store with nothing lost', async () => {
    const { store, peer, writer } = await start();
    peer.send({ type: 'subscribe', sub: 3, stream: 'flood', mode: 'hot-cold', credit: 1 });
    await peer.expect('caught-up', { sub: 3 });
    const total = RECENT_COMMIT_EVENTS + 2_000;
    for (let i = 0; i < total / 1_000; i += 1) await append(writer, i, 'flood', ticks(1_000));
    await collect(peer, 3, 1);
    const readsBefore = store.reads;
    let seq = 1;
    for (let round = 0; seq < total && round < 100; round += 1) {
      peer.send({ type: 'credit', sub: 3, n: 1_000 });
      for (const event of (await collect(peer, 3, Math.min(1_000, total - seq))).events) {
        seq += 1;
        expect(event.seq).toBe(seq);
      }
    }
    expect(seq).toBe(total);
    expect(store.reads).toBeGreaterThan(readsBefore);
    peer.close();
    writer.close();
  });

  it('stalled (no credit for longer than SUBSCRIPTION_STALLED_MS), is kept no commits: it catches up from the store with nothing lost', async () => {
    const { store, peer, writer } = await start();
    peer.send({ type: 'subscribe', sub: 4, stream: 'stall', mode: 'hot-cold', credit: 1 });
    await peer.expect('caught-up', { sub: 4 });
    await append(writer, 1, 'stall', ticks(1));
    await collect(peer, 4, 1);
    await new Promise((resolve) => setTimeout(resolve, SUBSCRIPTION_STALLED_MS + 100));
    // Few enough events for the recent commits to hold them all, had they been kept.
    for (let i = 2; i <= 6; i += 1) await append(writer, i, 'stall', ticks(10));
    const readsBefore = store.reads;
    peer.send({ type: 'credit', sub: 4, n: 100 });
    const { events } = await collect(peer, 4, 50);
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
    expect(store.reads, 'caught up from the store').toBeGreaterThan(readsBefore);
    peer.close();
    writer.close();
  });
});
