import { afterEach, describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../protocol/frames.js';
import { partitionOf } from '../../server-reference/groups/partition-of.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { startServer, type RunningServer } from '../support/harness.js';
import { tempDir } from '../support/temp-dir.js';

// A group's read-ahead is bounded in bytes (16 MiB a group, shared by its partitions): large
// events fill a partition's share after a few events. Reading then waits for the partition to
// drain, and the server goes on serving everyone meanwhile (a server once spun on a partition
// with room for less than its next event, answering nothing).

type Deliver = Extract<ServerFrame, { type: 'deliver' }>;

let running: RunningServer | undefined;
let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  await dir?.remove();
  dir = undefined;
});

const stores: [string, () => Promise<EventStore>][] = [
  ['memory (decoded reads)', () => Promise.resolve(new MemoryStore())],
  [
    'lmdb (encoded reads)',
    async () => {
      dir = await tempDir('group-read-ahead');
      return LmdbStore.open(dir.path);
    },
  ],
];

/**
 * Events, their size, partitions and keys: with 64 partitions a partition's share of the
 * read-ahead (256 KiB) holds about ten events of 24 KB; with 1024, its least share (64 KiB) holds
 * eight of 8 KB, and more events than a read's page keep the group reading.
 */
const SHAPES: [number, number, number, number][] = [
  [400, 24 * 1024, 64, 97],
  [3000, 8 * 1024, 1024, 64],
];

describe.each(stores)('a group of large events on %s', (_name, open) => {
  it.each(SHAPES)('delivers every event (%i of %i bytes, %i partitions, %i keys) in order per partition to a member that acks slowly, and the server answers others meanwhile', async (EVENTS, size, PARTITIONS, keys) => {
    const BIG = 'x'.repeat(size);
    running = await startServer('memory', { store: await open() });
    const server = running;
    for (let from = 0; from < EVENTS; from += 20) {
      const events = Array.from({ length: 20 }, (_, i) => ({ type: 'big', key: `k${(from + i) % keys}`, data: { n: from + i, big: BIG } }));
      expect((await server.server.request({ type: 'append', id: 0, stream: 'large', events })).type).toBe('appended');
    }
    const member = await RawPeer.open(() => server.connect());
    const other = await RawPeer.open(() => server.connect());
    member.send({ type: 'consume', sub: 1, group: 'g', stream: 'large', partitions: PARTITIONS, credit: 8 });
    await member.expect('assigned');
    const seen = new Map<number, number[]>();
    let received = 0;
    let asked = 0;
    const deadline = Date.now() + 60_000;
    while (received < EVENTS) {
      expect(Date.now()).toBeLessThan(deadline);
      const frame = (await member.next((f) => f.type === 'deliver', 10_000)) as Deliver;
      for (const event of frame.events) {
        expect(partitionOf(event, PARTITIONS)).toBe(frame.part);
        seen.set(frame.part, [...(seen.get(frame.part) ?? []), event.seq]);
      }
      received += frame.events.length;
      // Slowly: a short wait per frame, then the acks and the credit back.
      await new Promise((resolve) => setTimeout(resolve, 5));
      member.send({ type: 'ack', sub: 1, part: frame.part, gen: frame.gen, pos: frame.events.map((event) => event.seq) });
      member.send({ type: 'credit', sub: 1, n: frame.events.length });
      // Another client is answered promptly while the group reads and waits.
      if (received >= asked * 100) {
        asked += 1;
        const started = Date.now();
        other.send({ type: 'info', id: asked });
        await other.next((f) => f.type === 'server-info', 2_000);
        expect(Date.now() - started).toBeLessThan(2_000);
      }
    }
    expect(received).toBe(EVENTS);
    const all = [...seen.values()].flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
    for (const seqs of seen.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  }, 90_000);
});

describe('a slow member of a group', () => {
  it('does not hold up another member while its own partitions are full', async () => {
    running = await startServer('memory');
    const server = running;
    const slow = await RawPeer.open(() => server.connect());
    const fast = await RawPeer.open(() => server.connect());
    slow.send({ type: 'consume', sub: 1, group: 'g', stream: 'mixed', partitions: 4, member: 'slow', credit: 1 });
    await slow.expect('assigned');
    fast.send({ type: 'consume', sub: 1, group: 'g', stream: 'mixed', partitions: 4, member: 'fast', credit: 1000 });
    // Two partitions each, once the slow member has let two go.
    const holds = async (peer: RawPeer, parts: number) => {
      for (;;) {
        const frame = (await peer.next((f) => f.type === 'assigned', 10_000)) as Extract<ServerFrame, { type: 'assigned' }>;
        if (frame.parts.length === parts && frame.parts.every((p) => p.revoking !== true)) return frame.parts.map((p) => p.part);
      }
    };
    const fastParts = await holds(fast, 2);
    // 2 KB events: a partition's share of the read-ahead (4 MiB) fills after about 2000.
    const data = { pad: 'x'.repeat(2048) };
    for (let from = 0; from < 20_000; from += 250) {
      const events = Array.from({ length: 250 }, (_, i) => ({ type: 't', key: `k${(from + i) % 1000}`, data }));
      expect((await server.server.request({ type: 'append', id: 0, stream: 'mixed', events })).type).toBe('appended');
    }
    const expected = Array.from({ length: 20_000 }, (_, i) => `k${i % 1000}`).filter((key) => fastParts.includes(partitionOf({ key, stream: 'mixed' }, 4))).length;
    // The slow member takes an event every 50 ms; the fast one acks at once.
    let slowTaken = 0;
    let stop = false;
    const slowly = (async () => {
      while (!stop) {
        const frame = (await slow.next((f) => f.type === 'deliver', 10_000).catch(() => undefined)) as Deliver | undefined;
        if (frame === undefined) break;
        slowTaken += frame.events.length;
        await new Promise((resolve) => setTimeout(resolve, 50));
        slow.send({ type: 'ack', sub: 1, part: frame.part, gen: frame.gen, pos: frame.events.map((event) => event.seq) });
        slow.send({ type: 'credit', sub: 1, n: frame.events.length });
      }
    })();
    let received = 0;
    const started = Date.now();
    try {
      while (received < expected) {
        const frame = (await fast.next((f) => f.type === 'deliver', 10_000)) as Deliver;
        received += frame.events.length;
        fast.send({ type: 'ack', sub: 1, part: frame.part, gen: frame.gen, pos: frame.events.map((event) => event.seq) });
        fast.send({ type: 'credit', sub: 1, n: frame.events.length });
      }
    } finally {
      stop = true;
      await slowly;
    }
    expect(received).toBe(expected);
    // Within a few seconds, while the slow member took a few dozen of its ten thousand.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(slowTaken).toBeLessThan(1000);
  }, 60_000);
});

describe('a JSON member of a group on lmdb (events read encoded)', () => {
  it('gets the events decoded into its codec, as a msgpack member gets them spliced', async () => {
    dir = await tempDir('group-json');
    running = await startServer('memory', { store: await LmdbStore.open(dir.path) });
    const server = running;
    const events = Array.from({ length: 30 }, (_, i) => ({ type: 'placed', key: `k${i % 4}`, data: { n: i, text: 'ünïcode ✓' }, meta: { by: 'test' } }));
    expect((await server.server.request({ type: 'append', id: 0, stream: 'orders', events })).type).toBe('appended');
    const json = await RawPeer.open(() => server.connect(), { codec: 'json' });
    const msgpack = await RawPeer.open(() => server.connect());
    json.send({ type: 'consume', sub: 1, group: 'json', stream: 'orders', partitions: 2, credit: 100 });
    msgpack.send({ type: 'consume', sub: 1, group: 'msgpack', stream: 'orders', partitions: 2, credit: 100 });
    await json.expect('assigned');
    await msgpack.expect('assigned');
    const take = async (peer: RawPeer) => {
      const seen: unknown[] = [];
      while (seen.length < 30) {
        const frame = (await peer.next((f) => f.type === 'deliver', 5000)) as Deliver;
        seen.push(...frame.events);
      }
      return seen.sort((a, b) => (a as { seq: number }).seq - (b as { seq: number }).seq);
    };
    const [viaJson, viaMsgpack] = await Promise.all([take(json), take(msgpack)]);
    expect(viaJson).toEqual(viaMsgpack);
    expect(viaJson[29]).toMatchObject({ seq: 30, key: 'k1', data: { n: 29, text: 'ünïcode ✓' }, meta: { by: 'test' } });
  });
});
