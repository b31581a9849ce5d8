// Run by given-when-then-node.int.test.ts with `node --test`: the Given/When/Then helper in
// node:test, with no vitest in sight. The test named "fails: ..." must fail, with the diff.
import { test } from 'node:test';
import { deciderSpec } from '../../testing/index.js';
import { account, InsufficientFunds } from './bank-account.js';

const given = deciderSpec(account);

void test('passes: a deposit into an open account', () =>
  given({ type: 'Opened' }).when({ type: 'Deposit', amount: 5 }).then({ type: 'Deposited', data: { amount: 5 } }));

void test('passes: an overdraft is refused', () =>
  given([{ type: 'Opened' }]).when({ type: 'Withdraw', amount: 1 }).thenThrows(InsufficientFunds));

void test('fails: the wrong amount', () =>
  given({ type: 'Opened' }).when({ type: 'Deposit', amount: 5 }).then({ type: 'Deposited', data: { amount: 50 } }));
