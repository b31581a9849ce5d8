import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AppendConditionFailedError, connect, TauonError } from '../../client/index.js';
import type { AppendCondition, ServerFrame } from '../../protocol/frames.js';
import { createAuthenticator } from '../../server-reference/auth/create-authenticator.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { RoutingStore } from '../../server-reference/stores/routing/routing-store.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { startServer, type RunningServer } from '../support/harness.js';

/*
 * Append conditions end to end (SPEC 5.8.1): announced where the store checks them, used through
 * the client's emit option, refused where the store cannot check them, bounded by permissions,
 * and decided one winner at a time when many connections race for the same seat.
 */

const directories: string[] = [];
afterAll(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function lmdbDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'tauon-condition-'));
  directories.push(directory);
  return directory;
}

/** Sends an append and returns its answer. */
async function append(peer: RawPeer, frame: Record<string, unknown>): Promise<ServerFrame> {
  const id = peer.id();
  peer.send({ type: 'append', ...frame, id });
  return peer.next((answer) => 'id' in answer && answer.id === id);
}

const STORES: [string, () => Promise<EventStore>][] = [
  ['memory', () => Promise.resolve(new MemoryStore())],
  ['lmdb', () => LmdbStore.open(lmdbDirectory())],
];

describe.each(STORES)('append conditions on a %s store, over ws', (_name, makeStore) => {
  async function withServer(run: (running: RunningServer) => Promise<void>): Promise<void> {
    const store = await makeStore();
    const running = await startServer('ws', { store, onClose: () => store.close() });
    try {
      await run(running);
    } finally {
      await running.close();
    }
  }

  it('announces the feature, and the client writes with a condition that holds and fails one that does not', async () => {
    await withServer(async (running) => {
      const client = await connect(running.transport);
      try {
        const peer = new RawPeer(await running.connect());
        peer.send({ type: 'hello', versions: [1] });
        expect((await peer.expect('welcome')).features).toContain('append-condition');
        peer.close();
        const reserved = await client.emit('seats.a', { type: 'SeatReserved', key: 'seat-7' });
        const condition: AppendCondition = { stream: 'seats.*', types: ['SeatReserved', 'SeatReleased'], keys: ['seat-7'], after: reserved.pos };
        const booked = await client.emit('bookings.1', { type: 'Booked', key: 'seat-7' }, { condition });
        expect(booked.seqs).toEqual([1]);
        const late = client.emit('bookings.2', { type: 'Booked', key: 'seat-7' }, { condition: { ...condition, after: reserved.pos - 1 } });
        await expect(late).rejects.toBeInstanceOf(AppendConditionFailedError);
        await expect(late).rejects.toMatchObject({ code: 'condition-failed', stream: 'bookings.2', pos: reserved.pos, details: { stream: 'bookings.2', pos: reserved.pos } });
        // The failure broke the chain of bookings.2; the client's next emit there starts a new one.
        await expect(client.emit('bookings.2', { type: 'Other' })).resolves.toMatchObject({ seqs: [1] });
      } finally {
        await client.close();
      }
    });
  });

  it('the client refuses a malformed condition itself, sending nothing', async () => {
    await withServer(async (running) => {
      const client = await connect(running.transport);
      try {
        const bad = client.emit('local.1', { type: 'T' }, { condition: { stream: 'a*b', types: ['T'], after: 0 } });
        await expect(bad).rejects.toMatchObject({ name: 'BadFrameError', code: 'bad-frame' });
        await expect(client.emit('local.1', { type: 'T' }), 'the stream\'s chain is not broken: nothing was sent').resolves.toMatchObject({ seqs: [1] });
      } finally {
        await client.close();
      }
    });
  });

  it('refuses a malformed condition with bad-frame and writes nothing', async () => {
    await withServer(async (running) => {
      const peer = await RawPeer.open(() => running.connect());
      const event = [{ type: 'T' }];
      const malformed: unknown[] = [
        { stream: '$all', types: [], after: 0 },
        { stream: '$all', types: ['T'], after: -1 },
        { stream: 'a*b', types: ['T'], after: 0 },
        { stream: '$all', types: Array.from({ length: 9 }, (_, i) => `T${i}`), after: 0 },
        { stream: '$all', types: ['T'], keys: [], after: 0 },
        { stream: '$all', types: ['T'] },
        'seats.*',
      ];
      for (const condition of malformed) {
        const answer = await append(peer, { stream: `bad.${malformed.indexOf(condition)}`, events: event, condition });
        expect(answer, JSON.stringify(condition)).toMatchObject({ type: 'error', code: 'bad-frame' });
      }
      expect(await running.store.listStreams('bad.', undefined, 100)).toEqual([]);
      peer.close();
    });
  });

  it(`lets exactly one of 8 connections reserve each seat, 5 rounds`, async () => {
    await withServer(async (running) => {
      const clients = await Promise.all(Array.from({ length: 8 }, () => connect(running.transport)));
      try {
        for (let round = 0; round < 5; round++) {
          const seat = `seat-${round}`;
          const read = await clients[0]!.emit('race.head', { type: 'Opened', key: seat });
          const condition: AppendCondition = { stream: 'race.*', types: ['SeatReserved'], keys: [seat], after: read.pos };
          const settled = await Promise.allSettled(
            clients.map((client, i) => client.emit(`race.booking-${round}-${i}`, { type: 'SeatReserved', key: seat }, { condition })),
          );
          expect(settled.filter((result) => result.status === 'fulfilled'), `round ${round}`).toHaveLength(1);
          for (const result of settled) if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(AppendConditionFailedError);
        }
      } finally {
        await Promise.all(clients.map((client) => client.close()));
      }
    });
  });
});

describe('append conditions and permissions', () => {
  it('needs read permission on the condition\'s selector: forbidden otherwise, nothing written', async () => {
    const authenticate = await createAuthenticator({
      tokens: [{ name: 'booker', token: 'booker-token-0123456789abcdef', read: ['seats.*'], write: ['bookings.*'] }],
    });
    const running = await startServer('memory', { authenticate });
    try {
      const peer = await RawPeer.open(() => running.connect(), { token: 'booker-token-0123456789abcdef' });
      const refused = await append(peer, { stream: 'bookings.1', events: [{ type: 'Booked' }], condition: { stream: '$all', types: ['SeatReserved'], after: 0 } });
      expect(refused).toMatchObject({ type: 'error', code: 'forbidden', details: { permission: 'read', selector: '$all' } });
      const allowed = await append(peer, {
        stream: 'bookings.2',
        events: [{ type: 'Booked' }],
        condition: { stream: 'seats.*', types: ['SeatReserved'], after: 0 },
      });
      expect(allowed).toMatchObject({ type: 'appended', seqs: [1] });
      expect(await running.store.streamInfo('bookings.1')).toBeUndefined();
      peer.close();
    } finally {
      await running.close();
    }
  });
});

describe('a store that cannot check conditions', () => {
  /** A memory store that does not say it checks conditions, as a store without the check would be. */
  class UncheckedStore extends MemoryStore {
    override readonly checksAppendConditions = false as unknown as true;
  }

  it('is not announced; an append with a condition is unsupported and writes nothing; the client refuses it unsent', async () => {
    const running = await startServer('memory', { store: new UncheckedStore() });
    try {
      const peer = new RawPeer(await running.connect());
      peer.send({ type: 'hello', versions: [1] });
      const welcome = await peer.expect('welcome');
      expect(welcome.features ?? []).not.toContain('append-condition');
      const answer = await append(peer, { stream: 'plain', events: [{ type: 'T' }], condition: { stream: '$all', types: ['T'], after: 0 } });
      expect(answer).toMatchObject({ type: 'error', code: 'unsupported' });
      expect(await running.store.streamInfo('plain')).toBeUndefined();
      peer.close();
      const client = await connect(running.transport);
      try {
        const refused = client.emit('plain', { type: 'T' }, { condition: { stream: '$all', types: ['T'], after: 0 } });
        await expect(refused).rejects.toBeInstanceOf(TauonError);
        await expect(refused).rejects.toMatchObject({ code: 'unsupported' });
      } finally {
        await client.close();
      }
      expect(await running.store.streamInfo('plain')).toBeUndefined();
    } finally {
      await running.close();
    }
  });
});

describe('a routing store', () => {
  it('checks a condition whose selector lies in the store of the append\'s stream, and refuses one that spans stores', async () => {
    const routed = new MemoryStore();
    const store = new RoutingStore({ routes: [{ prefix: 'seats.', store: routed }], fallback: new MemoryStore() });
    expect(store.checksAppendConditions).toBe(true);
    try {
      const [seat] = await store.append([{ stream: 'seats.a', events: [{ id: 'r1', type: 'SeatReserved', key: 's1' }], expected: 'any', dedupe: false }]);
      const after = seat?.ok === true ? seat.positions[0]! : 0;
      const inOne = await store.append([
        { stream: 'seats.b', events: [{ id: 'r2', type: 'SeatReserved', key: 's1' }], expected: 'any', dedupe: false, condition: { stream: 'seats.*', types: ['SeatReserved'], keys: ['s1'], after: after - 1 } },
      ]);
      expect(inOne[0]).toMatchObject({ ok: false, error: { code: 'condition-failed' } });
      const spanning = await store.append([
        { stream: 'seats.c', events: [{ id: 'r3', type: 'SeatReserved', key: 's2' }], expected: 'any', dedupe: false, condition: { stream: '$all', types: ['SeatReserved'], after: 0 } },
        { stream: 'seats.c', events: [{ id: 'r4', type: 'T' }], expected: 'any', dedupe: false },
        { stream: 'other', events: [{ id: 'o1', type: 'T' }], expected: 'any', dedupe: false },
      ]);
      expect(spanning.map((outcome) => (outcome.ok ? 'ok' : outcome.error.code))).toEqual(['unsupported', 'chain-broken', 'ok']);
      expect(await store.streamInfo('seats.c')).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
