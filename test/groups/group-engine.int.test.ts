import { afterEach, describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../protocol/frames.js';
import { partitionOf } from '../../server-reference/groups/partition-of.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { startServer, type RunningServer } from '../support/harness.js';

type Deliver = Extract<ServerFrame, { type: 'deliver' }>;
type Assigned = Extract<ServerFrame, { type: 'assigned' }>;

let running: RunningServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function start(): Promise<RunningServer> {
  running = await startServer('memory');
  return running;
}

async function emit(server: RunningServer, stream: string, events: { type: string; key?: string; id?: string; data?: unknown }[]): Promise<void> {
  const answer = await server.server.request({ type: 'append', id: 0, stream, events });
  expect(answer.type).toBe('appended');
}

/** Takes deliver frames until `count` events came, acking each frame at once when `ack` is set. */
async function take(peer: RawPeer, count: number, ack = true): Promise<Deliver[]> {
  const frames: Deliver[] = [];
  let events = 0;
  while (events < count) {
    const frame = (await peer.next((f) => f.type === 'deliver', 5000)) as Deliver;
    frames.push(frame);
    events += frame.events.length;
    if (ack) peer.send({ type: 'ack', sub: frame.sub, part: frame.part, gen: frame.gen, upTo: frame.events.at(-1)!.seq });
  }
  return frames;
}

describe('consumer groups on the reference server (raw frames)', () => {
  it('announces the feature, answers consume with assigned first, and delivers every event by partition in order', async () => {
    const server = await start();
    const peer = new RawPeer(await server.connect());
    peer.send({ type: 'hello', versions: [1] });
    const welcome = await peer.expect('welcome');
    expect(welcome.features).toContain('groups');
    await emit(server, 'orders', Array.from({ length: 40 }, (_, i) => ({ type: 'placed', key: `k${i % 7}` })));
    peer.send({ type: 'consume', sub: 1, group: 'billing', stream: 'orders', partitions: 4, credit: 1000 });
    const assigned = (await peer.next()) as Assigned;
    expect(assigned.type).toBe('assigned');
    expect(assigned.parts.map((p) => p.part)).toEqual([0, 1, 2, 3]);
    const frames = await take(peer, 40);
    const seen = frames.flatMap((frame) => frame.events.map((event) => ({ event, part: frame.part })));
    expect(seen.map((s) => s.event.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    for (const { event, part } of seen) expect(part).toBe(partitionOf(event, 4));
    for (const frame of frames) {
      const seqs = frame.events.map((event) => event.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(frame.deliveries.every((d) => d === 1)).toBe(true);
    }
  });

  it('resumes a group after the last acknowledged event when a member leaves and another joins', async () => {
    const server = await start();
    await emit(server, 'orders', Array.from({ length: 10 }, () => ({ type: 'placed' })));
    const first = await RawPeer.open(() => server.connect());
    first.send({ type: 'consume', sub: 1, group: 'g', stream: 'orders', partitions: 1, credit: 1000 });
    await first.expect('assigned');
    await take(first, 10);
    first.send({ type: 'unsubscribe', sub: 1 });
    await emit(server, 'orders', Array.from({ length: 5 }, () => ({ type: 'placed' })));
    // Wait until the checkpoint is written (the group's document is synced a few times a second).
    await expect.poll(async () => (await server.server.groups!.info('g'))?.partitionList[0]?.checkpoint, { timeout: 3000 }).toBe(10);
    const second = await RawPeer.open(() => server.connect());
    second.send({ type: 'consume', sub: 7, group: 'g', stream: 'orders', credit: 1000 });
    await second.expect('assigned');
    const frames = await take(second, 5);
    expect(frames.flatMap((f) => f.events.map((e) => e.seq))).toEqual([11, 12, 13, 14, 15]);
  });

  it('redelivers the oldest unacknowledged event after the ack timeout, nack retries, and parks after maxDeliveries', async () => {
    const server = await start();
    await emit(server, 'jobs', [{ type: 'a' }, { type: 'b' }]);
    const peer = await RawPeer.open(() => server.connect());
    peer.send({ type: 'consume', sub: 1, group: 'w', stream: 'jobs', partitions: 1, credit: 1000, ackTimeoutMs: 100, maxDeliveries: 3 });
    const assigned = await peer.expect('assigned');
    const gen = assigned.parts[0]!.gen;
    const firstDelivery = (await peer.next((f) => f.type === 'deliver')) as Deliver;
    expect(firstDelivery.events.map((e) => e.seq)).toEqual([1, 2]);
    peer.send({ type: 'ack', sub: 1, part: 0, gen, pos: [2] });
    const again = (await peer.next((f) => f.type === 'deliver')) as Deliver;
    expect(again.events.map((e) => e.seq)).toEqual([1]);
    expect(again.deliveries).toEqual([2]);
    peer.send({ type: 'nack', sub: 1, part: 0, gen, pos: 1, retryMs: 0 });
    const third = (await peer.next((f) => f.type === 'deliver')) as Deliver;
    expect(third.deliveries).toEqual([3]);
    peer.send({ type: 'nack', sub: 1, part: 0, gen, pos: 1 });
    await expect.poll(async () => (await server.server.groups!.info('w'))?.parked, { timeout: 3000 }).toBe(1);
    await expect.poll(async () => (await server.server.groups!.info('w'))?.partitionList[0]?.checkpoint, { timeout: 3000 }).toBe(2);
    const parked = await server.store.groups!.parked('w', 0, 10);
    expect(parked.map((p) => [p.seq, p.reason, p.deliveries])).toEqual([[1, 'max-deliveries', 3]]);
    // Replay: delivered again, acknowledged, unparked.
    const replaying = await server.server.request({ type: 'replay-parked', id: 3, group: 'w' });
    expect(replaying).toMatchObject({ type: 'replaying', parked: 1 });
    const replayed = (await peer.next((f) => f.type === 'deliver')) as Deliver;
    expect(replayed.events.map((e) => e.seq)).toEqual([1]);
    peer.send({ type: 'ack', sub: 1, part: 0, gen, pos: [1] });
    await expect.poll(async () => (await server.server.groups!.info('w'))?.parked, { timeout: 3000 }).toBe(0);
  });

  it('splits partitions between two members, revoking from the first until it acknowledges, and fences acks of a lost generation', async () => {
    const server = await start();
    await emit(server, 'orders', Array.from({ length: 40 }, (_, i) => ({ type: 'placed', key: `k${i}` })));
    const a = await RawPeer.open(() => server.connect());
    a.send({ type: 'consume', sub: 1, group: 'split', stream: 'orders', partitions: 4, credit: 100, member: 'a' });
    const first = await a.expect('assigned');
    expect(first.parts).toHaveLength(4);
    // Everything delivered to a, nothing acknowledged yet.
    const held = await take(a, 40, false);
    const b = await RawPeer.open(() => server.connect());
    b.send({ type: 'consume', sub: 1, group: 'split', stream: 'orders', credit: 100, member: 'b' });
    expect((await b.expect('assigned')).parts).toEqual([]);
    const revoking = (await a.next((f) => f.type === 'assigned' && f.parts.some((p) => p.revoking === true))) as Assigned;
    const lost = revoking.parts.filter((p) => p.revoking === true);
    expect(lost).toHaveLength(2);
    // b gets nothing of them while a has them unacknowledged.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(b.pending().filter((f) => f.type === 'deliver')).toEqual([]);
    for (const frame of held) {
      if (lost.some((p) => p.part === frame.part)) a.send({ type: 'ack', sub: 1, part: frame.part, gen: frame.gen, upTo: frame.events.at(-1)!.seq });
    }
    const gained = (await b.next((f) => f.type === 'assigned' && f.parts.length === 2)) as Assigned;
    expect(gained.parts.map((p) => p.part).sort()).toEqual(lost.map((p) => p.part).sort());
    expect(((await a.next((f) => f.type === 'assigned' && f.parts.length === 2)) as Assigned).parts.every((p) => p.revoking !== true)).toBe(true);
    a.send({ type: 'ack', sub: 1, part: lost[0]!.part, gen: lost[0]!.gen, upTo: 1 });
    expect(await a.next((f) => f.type === 'error')).toMatchObject({ type: 'error', sub: 1, code: 'fenced' });
  });

  it('ends the earlier subscription of a member id another consume takes, fenced with details {member}', async () => {
    const server = await start();
    const first = await RawPeer.open(() => server.connect());
    first.send({ type: 'consume', sub: 4, group: 'g', stream: 'orders', partitions: 2, credit: 10, member: 'same' });
    expect((await first.expect('assigned')).parts).toHaveLength(2);
    const second = await RawPeer.open(() => server.connect());
    second.send({ type: 'consume', sub: 1, group: 'g', stream: 'orders', credit: 10, member: 'same' });
    expect(await first.next((f) => f.type === 'error')).toMatchObject({ sub: 4, code: 'fenced', details: { member: 'same' } });
    await second.next((f) => f.type === 'assigned' && f.parts.length === 2);
    // The earlier subscription is gone: its sub may be opened again.
    first.send({ type: 'subscribe', sub: 4, stream: 'orders', mode: 'cold', credit: 10 });
    await first.expect('complete');
  });

  it('keeps a deliver frame of several events within maxFrameBytes, in order', async () => {
    running = await startServer('memory', { limits: { maxFrameBytes: 4096 } });
    const server = running;
    // 20 events of about 600 bytes: one frame of them all would be 12 KB.
    await emit(server, 'big', Array.from({ length: 20 }, (_, i) => ({ type: 'blob', id: `b${i}`, data: 'x'.repeat(600) })));
    const peer = await RawPeer.open(() => server.connect());
    peer.send({ type: 'consume', sub: 1, group: 'big', stream: 'big', partitions: 1, credit: 100 });
    await peer.expect('assigned');
    const frames = await take(peer, 20);
    expect(frames.length).toBeGreaterThan(1);
    expect(frames.flatMap((frame) => frame.events.map((event) => event.seq))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const sizes = peer.received.map((frame, index) => (frame.type === 'deliver' ? peer.receivedBytes[index]! : 0));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(4096);
    for (const frame of frames) expect(frame.deliveries).toHaveLength(frame.events.length);
  });

  it('refuses a consume naming another definition of an existing group', async () => {
    const server = await start();
    const peer = await RawPeer.open(() => server.connect());
    peer.send({ type: 'consume', sub: 1, group: 'g', stream: 'orders', credit: 10 });
    await peer.expect('assigned');
    peer.send({ type: 'consume', sub: 2, group: 'g', stream: 'other', credit: 10 });
    expect(await peer.next((f) => f.type === 'error')).toMatchObject({ sub: 2, code: 'group-mismatch' });
  });
});
