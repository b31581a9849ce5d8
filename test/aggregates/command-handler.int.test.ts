import { afterEach, describe, expect, it } from 'vitest';
import { CommandConflictError } from '../../client/aggregate-errors.js';
import { commandHandler, handleCommand } from '../../client/command-handler.js';
import type { Decider } from '../../client/decider.js';
import type { StoredEvent } from '../../client/types.js';
import { BadFrameError, WrongExpectedVersionError } from '../../protocol/errors.js';
import { account, asyncAccount, InsufficientFunds, type Account, type AccountCommand, type AccountEvent } from './bank-account.js';
import { countingReads, startAggregateServer, type AggregateServer } from './aggregate-server.js';

let server: AggregateServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(kind: 'memory' | 'ws' = 'memory'): Promise<AggregateServer> {
  server = await startAggregateServer(kind);
  return server;
}

async function history(s: AggregateServer, stream: string): Promise<StoredEvent[]> {
  return (await s.client.read(stream, { limit: 1000 })).events;
}

describe('command handler', () => {
  it('appends the decided events to a new stream, expecting none, and returns the ack, the state and the events', async () => {
    const s = await start('ws');
    const accounts = commandHandler(s.client, account);
    const opened = await accounts.handle('account.1', { type: 'Open' });
    expect(opened.ack).toMatchObject({ stream: 'account.1', seq: 1, seqs: [1], duplicates: [false] });
    expect(opened).toMatchObject({ state: { open: true, balance: 0 }, version: 1, events: [{ type: 'Opened' }], attempts: 1 });

    const deposited = await accounts.handle('account.1', { type: 'Deposit', amount: 30 });
    expect(deposited).toMatchObject({ state: { open: true, balance: 30 }, version: 2, attempts: 1 });
    expect((await history(s, 'account.1')).map((event) => [event.seq, event.type, event.data])).toEqual([
      [1, 'Opened', undefined],
      [2, 'Deposited', { amount: 30 }],
    ]);
    expect(await accounts.load('account.1')).toEqual({
      state: { open: true, balance: 30, folded: 2 },
      version: 2,
      snapshotVersion: 0,
      eventsRead: 2,
    });
  });

  it('passes the error decide throws to the caller, unchanged, and writes nothing', async () => {
    const s = await start();
    const accounts = commandHandler(s.client, asyncAccount);
    await accounts.handle('account.2', { type: 'Open' });
    await accounts.handle('account.2', { type: 'Deposit', amount: 5 });
    const refused = accounts.handle('account.2', { type: 'Withdraw', amount: 6 });
    await expect(refused).rejects.toBeInstanceOf(InsufficientFunds);
    await expect(refused).rejects.toMatchObject({ balance: 5 });
    expect(await history(s, 'account.2')).toHaveLength(2);
  });

  it('writes nothing for a decision of no event, and says so', async () => {
    const s = await start();
    const accounts = commandHandler(s.client, account);
    await accounts.handle('account.3', { type: 'Open' });
    const again = await accounts.handle('account.3', { type: 'Open' });
    expect(again).toEqual({ ack: undefined, state: { open: true, balance: 0, folded: 1 }, version: 1, events: [], attempts: 1 });
    expect(await history(s, 'account.3')).toHaveLength(1);
  });

  it('decides again on the new events when another writer appended between the read and the append', async () => {
    const s = await start();
    const other = await s.another();
    let decisions = 0;
    // The first decision lets another client deposit first: the append then meets version 2, not 1.
    const racing: Decider<Account, AccountCommand, AccountEvent> = {
      ...account,
      decide: async (command, state) => {
        decisions += 1;
        if (decisions === 1) await other.emit('account.4', { type: 'Deposited', data: { amount: 10 } });
        return account.decide(command, state);
      },
    };
    await other.emit('account.4', { type: 'Opened' });
    const result = await handleCommand(s.client, racing, 'account.4', { type: 'Deposit', amount: 5 });
    expect(result).toMatchObject({ attempts: 2, version: 3, state: { balance: 15, folded: 3 } });
    expect((await history(s, 'account.4')).map((event) => event.data)).toEqual([undefined, { amount: 10 }, { amount: 5 }]);
  });

  it('decides again in the state the other writer left: a withdrawal the new balance cannot cover is refused', async () => {
    const s = await start();
    const other = await s.another();
    let decisions = 0;
    const racing: Decider<Account, AccountCommand, AccountEvent> = {
      ...account,
      decide: async (command, state) => {
        decisions += 1;
        if (decisions === 1) await other.emit('account.4b', { type: 'Withdrawn', data: { amount: 5 } });
        return account.decide(command, state);
      },
    };
    await other.emit('account.4b', [{ type: 'Opened' }, { type: 'Deposited', data: { amount: 10 } }]);
    await expect(handleCommand(s.client, racing, 'account.4b', { type: 'Withdraw', amount: 10 })).rejects.toMatchObject({
      name: 'InsufficientFunds',
      balance: 5,
    });
    expect(decisions).toBe(2);
    expect(await history(s, 'account.4b')).toHaveLength(3);
  });

  it('fails with CommandConflictError once its retries are spent, after maxRetries + 1 decisions', async () => {
    const s = await start();
    const other = await s.another();
    let decisions = 0;
    const alwaysLate: Decider<Account, AccountCommand, AccountEvent> = {
      ...account,
      decide: async (command, state) => {
        decisions += 1;
        await other.emit('account.5', { type: 'Deposited', data: { amount: 1 } });
        return account.decide(command, state);
      },
    };
    await other.emit('account.5', { type: 'Opened' });
    const failed = handleCommand(s.client, alwaysLate, 'account.5', { type: 'Deposit', amount: 100 }, { maxRetries: 2 });
    await expect(failed).rejects.toBeInstanceOf(CommandConflictError);
    const error = (await failed.catch((caught: unknown) => caught)) as CommandConflictError;
    expect(error).toMatchObject({ code: 'wrong-expected-version', stream: 'account.5', attempts: 3, name: 'CommandConflictError' });
    expect(error.cause).toBeInstanceOf(WrongExpectedVersionError);
    expect(decisions).toBe(3);
    // Only the other writer's deposits were stored.
    expect((await history(s, 'account.5')).map((event) => event.data)).toEqual([undefined, { amount: 1 }, { amount: 1 }, { amount: 1 }]);
  });

  it('runs commands on one aggregate from one client at once: each is stored once, none is lost', async () => {
    const s = await start();
    const accounts = commandHandler(s.client, account, { maxRetries: 20 });
    await accounts.handle('account.6', { type: 'Open' });
    const results = await Promise.all(Array.from({ length: 20 }, (_, index) => accounts.handle('account.6', { type: 'Deposit', amount: index + 1 })));
    expect(results.some((result) => result.attempts > 1)).toBe(true);
    expect((await accounts.load('account.6')).state.balance).toBe(210);
    expect(await history(s, 'account.6')).toHaveLength(21);
  });

  it('stores a command whose events carry ids derived from it once, however often it runs', async () => {
    const s = await start();
    const accounts = commandHandler(s.client, account);
    await accounts.handle('account.7', { type: 'Open' });
    const first = await accounts.handle('account.7', { type: 'Deposit', amount: 7, id: 'deposit-cmd-1' });
    const second = await accounts.handle('account.7', { type: 'Deposit', amount: 7, id: 'deposit-cmd-1' });
    expect(second.ack).toMatchObject({ seqs: [2], duplicates: [true], tx: first.ack?.tx });
    // The state is the stream's: the deposit is counted once.
    expect(second).toMatchObject({ state: { balance: 7, folded: 2 }, version: 2 });
    expect(await history(s, 'account.7')).toHaveLength(2);
  });

  it('reads a long stream in pages of pageSize and folds it all', async () => {
    const s = await start();
    await s.client.emit('account.8', { type: 'Opened' });
    for (let batch = 0; batch < 5; batch += 1) {
      await s.client.emit('account.8', Array.from({ length: 500 }, () => ({ type: 'Deposited', data: { amount: 1 } })));
    }
    const { client, eventsRead, pages } = countingReads(s.client);
    const loaded = await commandHandler(client, account, { pageSize: 300 }).load('account.8');
    expect(loaded).toEqual({ state: { open: true, balance: 2500, folded: 2501 }, version: 2501, snapshotVersion: 0, eventsRead: 2501 });
    expect(eventsRead.get('account.8')).toBe(2501);
    expect(pages.get('account.8')).toBe(Math.ceil(2501 / 300));
  });

  it('leaves out the events of an invalidated transaction, and the system events', async () => {
    const s = await start();
    const accounts = commandHandler(s.client, account);
    await accounts.handle('account.9', { type: 'Open' });
    const wrong = await accounts.handle('account.9', { type: 'Deposit', amount: 1000 });
    await accounts.handle('account.9', { type: 'Deposit', amount: 5 });
    await s.client.invalidate('account.9', wrong.ack!.tx, 'entered by mistake');
    const loaded = await accounts.load('account.9');
    expect(loaded).toMatchObject({ state: { balance: 5, folded: 2 }, version: 4 });
    // The next command expects the version that includes the $invalidated event.
    await expect(accounts.handle('account.9', { type: 'Withdraw', amount: 6 })).rejects.toBeInstanceOf(InsufficientFunds);
    expect(await accounts.handle('account.9', { type: 'Withdraw', amount: 5 })).toMatchObject({ version: 5, state: { balance: 0 } });
  });

  it('maps stored events with decode and decided events with encode', async () => {
    const s = await start();
    type Counter = { count: number };
    type Tick = { kind: 'tick'; by: number };
    const counter: Decider<Counter, number, Tick & { type: string }> = {
      initialState: () => ({ count: 0 }),
      evolve: (state, tick) => ({ count: state.count + tick.by }),
      decide: (by) => ({ type: 'tick', kind: 'tick', by }),
    };
    await s.client.emit('counter.1', { type: 'unrelated', data: { by: 1000 } });
    const ticks = commandHandler(s.client, counter, {
      decode: (event) => (event.type === 'ticked' ? { type: 'tick', kind: 'tick', by: (event.data as { by: number }).by } : undefined),
      encode: (tick) => ({ type: 'ticked', data: { by: tick.by } }),
    });
    await ticks.handle('counter.1', 2);
    const result = await ticks.handle('counter.1', 3);
    expect(result.state).toEqual({ count: 5 });
    expect((await ticks.load('counter.1')).state).toEqual({ count: 5 });
    expect((await history(s, 'counter.1')).map((event) => [event.type, event.data])).toEqual([
      ['unrelated', { by: 1000 }],
      ['ticked', { by: 2 }],
      ['ticked', { by: 3 }],
    ]);
  });

  it('refuses options that are not valid with bad-frame, and a stream name that is not one', async () => {
    const s = await start();
    expect(() => commandHandler(s.client, account, { pageSize: 0 })).toThrow(BadFrameError);
    expect(() => commandHandler(s.client, account, { maxRetries: -1 })).toThrow(/maxRetries/);
    expect(() => commandHandler(s.client, account, { snapshot: { every: 1.5 } })).toThrow(/snapshot.every/);
    await expect(handleCommand(s.client, account, 'account.10', { type: 'Open' }, { pageSize: Number.NaN })).rejects.toMatchObject({
      code: 'bad-frame',
    });
    await expect(handleCommand(s.client, account, '$account', { type: 'Open' })).rejects.toMatchObject({ code: 'bad-frame' });
  });
});
