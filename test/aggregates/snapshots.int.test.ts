import { afterEach, describe, expect, it } from 'vitest';
import type { SnapshotProblem } from '../../client/aggregate-types.js';
import { commandHandler } from '../../client/command-handler.js';
import type { Decider } from '../../client/decider.js';
import { SNAPSHOT_EVENT_TYPE, SnapshotStream, snapshotId } from '../../client/snapshot-stream.js';
import { MAX_NAME_LENGTH } from '../../protocol/frames.js';
import { account } from './bank-account.js';
import { countingReads, startAggregateServer, type AggregateServer } from './aggregate-server.js';

let server: AggregateServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(): Promise<AggregateServer> {
  server = await startAggregateServer();
  return server;
}

/** Appends `count` deposits of 1 by hand (not through a handler), in emits of 1,000 events. */
async function deposit(s: AggregateServer, stream: string, count: number): Promise<void> {
  for (let done = 0; done < count; done += 1000) {
    const batch = Math.min(1000, count - done);
    await s.client.emit(stream, Array.from({ length: batch }, () => ({ type: 'Deposited', data: { amount: 1 } })));
  }
}

describe('snapshots', () => {
  it('loads a 100,000-event aggregate by reading at most every + 1 events, to the same state as a full fold', { timeout: 120_000 }, async () => {
    const s = await start();
    const stream = 'account.long';
    await s.client.emit(stream, { type: 'Opened' });
    await deposit(s, stream, 100_000);

    const full = countingReads(s.client);
    const plain = commandHandler(full.client, account);
    const folded = await plain.load(stream);
    expect(folded).toMatchObject({ version: 100_001, snapshotVersion: 0, eventsRead: 100_001, state: { balance: 100_000 } });
    expect(full.eventsRead.get(stream)).toBe(100_001);

    const counted = countingReads(s.client);
    const problems: SnapshotProblem[] = [];
    const snapshotting = commandHandler(counted.client, account, { snapshot: { every: 1000 }, onSnapshotError: (problem) => problems.push(problem) });
    // The first command folds everything (there is no snapshot yet) and stores one.
    expect(await snapshotting.handle(stream, { type: 'Deposit', amount: 1 })).toMatchObject({ version: 100_002, state: { balance: 100_001 } });
    await deposit(s, stream, 999);

    counted.eventsRead.clear();
    const fromSnapshot = await snapshotting.load(stream);
    expect(fromSnapshot).toEqual({ ...(await plain.load(stream)), snapshotVersion: 100_002, eventsRead: 1000 });
    expect((counted.eventsRead.get(stream) ?? 0) + (counted.eventsRead.get(`${stream}.snapshot`) ?? 0)).toBe(1000);

    // One more command takes it 1,000 past its snapshot: a new one is stored, and a load reads only it.
    await snapshotting.handle(stream, { type: 'Deposit', amount: 1 });
    counted.eventsRead.clear();
    expect(await snapshotting.load(stream)).toMatchObject({ version: 101_002, snapshotVersion: 101_002, eventsRead: 1, state: { balance: 101_001 } });
    expect(counted.eventsRead.get(stream) ?? 0).toBe(0);
    expect(problems).toEqual([]);
  });

  it('stores a snapshot every N events of commands, so that no load reads more than N events', async () => {
    const s = await start();
    const accounts = commandHandler(s.client, account, { snapshot: { every: 10 } });
    await accounts.handle('account.s1', { type: 'Open' });
    let mostRead = 0;
    for (let command = 1; command < 35; command += 1) {
      await accounts.handle('account.s1', { type: 'Deposit', amount: command });
      const loaded = await accounts.load('account.s1');
      mostRead = Math.max(mostRead, loaded.eventsRead);
      expect(loaded.state.balance).toBe((command * (command + 1)) / 2);
    }
    expect(mostRead).toBeLessThanOrEqual(10);
    const snapshots = (await s.client.read('account.s1.snapshot')).events;
    expect(snapshots.map((event) => [event.type, (event.data as { version: number }).version])).toEqual([
      [SNAPSHOT_EVENT_TYPE, 10],
      [SNAPSHOT_EVENT_TYPE, 20],
      [SNAPSHOT_EVENT_TYPE, 30],
    ]);
    expect(snapshots[2]?.data).toEqual({ version: 30, revision: 1, state: { open: true, balance: 435, folded: 30 } });
  });

  it('never fails a command for a snapshot it cannot write or read: it tells onSnapshotError', async () => {
    const s = await start();
    const problems: SnapshotProblem[] = [];
    const accounts = commandHandler(s.client, account, {
      snapshot: { every: 1, stream: (stream) => `$snapshots.${stream}` },
      onSnapshotError: (problem) => problems.push(problem),
    });
    expect(await accounts.handle('account.s2', { type: 'Open' })).toMatchObject({ version: 1, state: { open: true } });
    expect(problems.map(({ stream, during, version, error }) => [stream, during, version, (error as { code?: string }).code])).toEqual([
      ['account.s2', 'read', 0, 'bad-frame'],
      // The client refuses a `$` stream before sending (client/emit-check.ts), as the server would (SPEC 5.1).
      ['account.s2', 'write', 1, 'bad-frame'],
    ]);
  });

  it('folds from the first event when the newest snapshot is not one it can use, and says why', async () => {
    const s = await start();
    const problems: SnapshotProblem[] = [];
    const accounts = commandHandler(s.client, account, { snapshot: { every: 100 }, onSnapshotError: (problem) => problems.push(problem) });
    await accounts.handle('account.s3', { type: 'Open' });
    await accounts.handle('account.s3', { type: 'Deposit', amount: 3 });
    await s.client.emit('account.s3.snapshot', { type: SNAPSHOT_EVENT_TYPE, data: { state: 'not a snapshot' } });
    expect(await accounts.load('account.s3')).toEqual({ state: { open: true, balance: 3, folded: 2 }, version: 2, snapshotVersion: 0, eventsRead: 2 });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ stream: 'account.s3', during: 'read', error: { code: 'bad-frame' } });
  });

  it('ignores a snapshot of another revision and stores one of its own', async () => {
    const s = await start();
    const old = commandHandler(s.client, account, { snapshot: { every: 2 } });
    await old.handle('account.s4', { type: 'Open' });
    await old.handle('account.s4', { type: 'Deposit', amount: 4 });
    expect(await old.load('account.s4')).toMatchObject({ snapshotVersion: 2, eventsRead: 1 });

    const problems: SnapshotProblem[] = [];
    const next = commandHandler(s.client, account, { snapshot: { every: 2, revision: 'v2' }, onSnapshotError: (problem) => problems.push(problem) });
    expect(await next.load('account.s4')).toMatchObject({ snapshotVersion: 0, eventsRead: 2, state: { balance: 4 } });
    await next.handle('account.s4', { type: 'Deposit', amount: 1 });
    expect(await next.load('account.s4')).toMatchObject({ snapshotVersion: 3, eventsRead: 1, state: { balance: 5 } });
    expect(problems).toEqual([]);
  });

  it('turns the state into snapshot data and back with toSnapshot and fromSnapshot', async () => {
    const s = await start();
    type Tags = { tags: Set<string> };
    const tagging: Decider<Tags, string, { type: 'Tagged'; data: { tag: string } }> = {
      initialState: () => ({ tags: new Set() }),
      evolve: (state, event) => ({ tags: new Set([...state.tags, event.data.tag]) }),
      decide: (tag, state) => (state.tags.has(tag) ? [] : { type: 'Tagged', data: { tag } }),
    };
    const tags = commandHandler(s.client, tagging, {
      snapshot: {
        every: 2,
        toSnapshot: (state) => [...state.tags].sort(),
        fromSnapshot: (data) => ({ tags: new Set(data as string[]) }),
      },
    });
    for (const tag of ['b', 'a', 'b', 'c']) await tags.handle('post.1', tag);
    const loaded = await tags.load('post.1');
    expect(loaded).toMatchObject({ version: 3, snapshotVersion: 2, eventsRead: 2 });
    expect([...loaded.state.tags].sort()).toEqual(['a', 'b', 'c']);
    const [snapshot] = (await s.client.read('post.1.snapshot')).events;
    expect(snapshot?.data).toEqual({ version: 2, revision: 1, state: ['a', 'b'] });
  });

  it('stores the same snapshot once, however often it is written, under an id that fits', async () => {
    const s = await start();
    const snapshots = new SnapshotStream<{ n: number }>({ every: 1 });
    await snapshots.write(s.client, 'thing.1', { n: 1 }, 7);
    await snapshots.write(s.client, 'thing.1', { n: 1 }, 7);
    const stored = (await s.client.read('thing.1.snapshot')).events;
    expect(stored.map((event) => event.id)).toEqual(['thing.1.snapshot@7']);
    expect(await snapshots.newest(s.client, 'thing.1')).toEqual({ state: { n: 1 }, version: 7 });

    const long = 'x'.repeat(MAX_NAME_LENGTH);
    const id = snapshotId(long, 123_456);
    expect([...id].length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
    expect(id).not.toBe(snapshotId(`${'x'.repeat(MAX_NAME_LENGTH - 1)}y`, 123_456));
    expect(id).toBe(snapshotId(long, 123_456));
  });
});
