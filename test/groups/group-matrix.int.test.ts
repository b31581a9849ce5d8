import { afterAll, describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../protocol/frames.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { PostgresStore } from '../../server-reference/stores/postgres/postgres-store.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { startServer, TRANSPORTS, type RunningServer } from '../support/harness.js';
import { tempDir } from '../support/temp-dir.js';
import { natsAvailable } from '../stores/jetstream-fixture.js';
import { POSTGRES_URL, postgresAvailable } from '../stores/postgres-fixture.js';
import { serviceStoreNames } from '../stores/service-store-names.js';

// Consumer groups over every transport and on every store (SPEC 17), and members on two servers
// sharing one PostgreSQL database or one JetStream forming one group.

type Deliver = Extract<ServerFrame, { type: 'deliver' }>;
const { schemas, jetStreams } = serviceStoreNames();

const lmdbDirs: { remove: () => Promise<void> }[] = [];
afterAll(async () => {
  for (const dir of lmdbDirs.splice(0)) await dir.remove();
});

/** Opens a store twice, as two servers in front of it would: [first, again]. */
type SharedOpen = () => Promise<[EventStore, () => Promise<EventStore>]>;

const stores: [string, SharedOpen][] = [
  [
    'lmdb',
    async () => {
      const dir = await tempDir('groups');
      lmdbDirs.push(dir);
      return [await LmdbStore.open(dir.path), () => Promise.reject(new Error('lmdb has one server'))];
    },
  ],
  ...((await postgresAvailable())
    ? [
        [
          'postgres',
          async () => {
            const schema = schemas.fresh();
            return [await PostgresStore.open(POSTGRES_URL, { schema }), () => PostgresStore.open(POSTGRES_URL, { schema })];
          },
        ] as [string, SharedOpen],
      ]
    : []),
  ...((await natsAvailable())
    ? [
        [
          'jetstream',
          async () => {
            const names = jetStreams.fresh();
            return [await jetStreams.open(names), () => jetStreams.open(names)];
          },
        ] as [string, SharedOpen],
      ]
    : []),
];

async function emitKeyed(server: RunningServer, count: number, prefix = 'e'): Promise<void> {
  const events = Array.from({ length: count }, (_, i) => ({ type: 'placed', id: `${prefix}${i + 1}`, key: `k${i % 10}` }));
  expect((await server.server.request({ type: 'append', id: 0, stream: 'orders.1', events })).type).toBe('appended');
}

/** Takes deliver frames until `count` events came, acknowledging each frame as it comes. */
async function consumeAll(peer: RawPeer, count: number): Promise<string[]> {
  const ids: string[] = [];
  while (ids.length < count) {
    const frame = (await peer.next((f) => f.type === 'deliver', 10_000)) as Deliver;
    ids.push(...frame.events.map((event) => event.id));
    peer.send({ type: 'ack', sub: frame.sub, part: frame.part, gen: frame.gen, pos: frame.events.map((event) => event.pos) });
  }
  return ids;
}

/** One member takes half, leaves; another of the same group takes exactly the rest. */
async function durableHandOver(first: RunningServer, second: RunningServer): Promise<void> {
  await emitKeyed(first, 20);
  const a = await RawPeer.open(() => first.connect());
  a.send({ type: 'consume', sub: 1, group: 'billing', stream: 'orders.*', partitions: 4, credit: 10, maxUnacked: 10 });
  await a.expect('assigned');
  const taken = await consumeAll(a, 10);
  a.send({ type: 'unsubscribe', sub: 1 });
  const b = await RawPeer.open(() => second.connect());
  b.send({ type: 'consume', sub: 1, group: 'billing', stream: 'orders.*', credit: 100 });
  await b.expect('assigned');
  const rest = await consumeAll(b, 20 - taken.length);
  expect(new Set([...taken, ...rest]).size).toBe(20);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(b.pending().filter((frame) => frame.type === 'deliver')).toEqual([]);
}

describe('consumer groups over every transport (memory store)', () => {
  for (const kind of TRANSPORTS) {
    it(`hands a group over from one member to the next with nothing lost or repeated, over ${kind}`, async () => {
      const server = await startServer(kind);
      try {
        await durableHandOver(server, server);
      } finally {
        await server.close();
      }
    });
  }
});

describe('consumer groups on every store (over ws)', () => {
  for (const [name, open] of stores) {
    it(`keeps a group's checkpoints in the ${name} store, across a server restart`, async () => {
      const [store, again] = await open();
      const first = await startServer('ws', { store });
      await durableHandOver(first, first);
      await first.close();
      // Another server on the same store (lmdb: the same store object, reopened server).
      const reopened = name === 'lmdb' ? store : await again();
      const second = await startServer('ws', { store: reopened });
      try {
        await emitKeyed(second, 5, 'after-restart-');
        const c = await RawPeer.open(() => second.connect());
        c.send({ type: 'consume', sub: 1, group: 'billing', stream: 'orders.*', credit: 100 });
        await c.expect('assigned');
        expect(await consumeAll(c, 5)).toHaveLength(5);
      } finally {
        await second.close();
        if (reopened !== store) await reopened.close();
        await store.close();
      }
    });

    if (name === 'lmdb') continue;
    it(`forms one group of members on two servers sharing one ${name} store`, async () => {
      const [store, again] = await open();
      const other = await again();
      const one = await startServer('ws', { store });
      const two = await startServer('ws', { store: other });
      try {
        await emitKeyed(one, 40);
        const a = await RawPeer.open(() => one.connect());
        a.send({ type: 'consume', sub: 1, group: 'split', stream: 'orders.*', partitions: 8, credit: 100, member: 'a' });
        await a.expect('assigned');
        const b = await RawPeer.open(() => two.connect());
        b.send({ type: 'consume', sub: 1, group: 'split', stream: 'orders.*', credit: 100, member: 'b' });
        await b.expect('assigned');
        // a acknowledges what it holds, the group rebalances to 4 and 4 across the servers.
        const seen: string[] = [];
        const deadline = Date.now() + 15_000;
        let aParts = 8;
        let bParts = 0;
        while ((aParts !== 4 || bParts !== 4 || seen.length < 40) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          for (const peer of [a, b]) {
            while (peer.pending().length > 0) {
              const f = await peer.next();
              if (f.type === 'assigned') {
                if (peer === a) aParts = f.parts.filter((p) => p.revoking !== true).length;
                else bParts = f.parts.length;
              } else if (f.type === 'deliver') {
                seen.push(...f.events.map((event) => event.id));
                peer.send({ type: 'ack', sub: 1, part: f.part, gen: f.gen, upTo: f.events.at(-1)!.pos });
              }
            }
          }
        }
        expect({ aParts, bParts }).toEqual({ aParts: 4, bParts: 4 });
        expect(new Set(seen).size).toBe(40);
      } finally {
        await one.close();
        await two.close();
        await other.close();
        await store.close();
      }
    });
  }
});
