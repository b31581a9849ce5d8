import { describe, expect, it } from 'vitest';
import { commandHandler, connect } from 'tauon/client';
import { deciderSpec } from 'tauon/testing';
import { startServer } from '../support/harness.js';
import { account, InsufficientFunds } from './docs-account.js';

// The examples of docs/aggregates.md, run as the page shows them.

describe('docs/aggregates.md', () => {
  it('runs commands as "Run commands" says', async () => {
    const running = await startServer('ws');
    const client = await connect(running.transport);
    try {
      const accounts = commandHandler(client, account);
      await accounts.handle('account.42', { type: 'Open' });
      const { ack, state, version, events, attempts } = await accounts.handle('account.42', { type: 'Deposit', amount: 10 });
      expect(state).toEqual({ open: true, balance: 10 });
      expect([version, ack?.seq, attempts]).toEqual([2, 2, 1]);
      expect(events).toEqual([{ type: 'Deposited', data: { amount: 10 } }]);
      const { state: now } = await accounts.load('account.42');
      expect(now).toEqual({ open: true, balance: 10 });
    } finally {
      await client.close();
      await running.close();
    }
  });

  describe('Given/When/Then, as the page writes it', () => {
    const given = deciderSpec(account);

    it('takes a deposit when open', () =>
      given({ type: 'Opened' }).when({ type: 'Deposit', amount: 5 }).then({ type: 'Deposited', data: { amount: 5 } }));

    it('refuses an overdraft', () => given([{ type: 'Opened' }]).when({ type: 'Withdraw', amount: 1 }).thenThrows(InsufficientFunds));

    it('opens once', () => given({ type: 'Opened' }).when({ type: 'Open' }).then([]));

    it('ends with the balance', () =>
      given([{ type: 'Opened' }, { type: 'Deposited', data: { amount: 2 } }])
        .when({ type: 'Deposit', amount: 3 })
        .thenState({ open: true, balance: 5 }));
  });
});
