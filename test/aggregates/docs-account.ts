// The decider of docs/aggregates.md, as the page shows it: docs-examples.int.test.ts runs the
// page's examples with it, so that the page stays true.
import type { Decider } from 'tauon/client';

type Account = { open: boolean; balance: number };
type Command = { type: 'Open' } | { type: 'Deposit'; amount: number } | { type: 'Withdraw'; amount: number };
type Event =
  | { type: 'Opened' }
  | { type: 'Deposited'; data: { amount: number } }
  | { type: 'Withdrawn'; data: { amount: number } };

export class InsufficientFunds extends Error {}

export const account: Decider<Account, Command, Event> = {
  initialState: () => ({ open: false, balance: 0 }),
  evolve: (state, event) => {
    switch (event.type) {
      case 'Opened':
        return { ...state, open: true };
      case 'Deposited':
        return { ...state, balance: state.balance + event.data.amount };
      case 'Withdrawn':
        return { ...state, balance: state.balance - event.data.amount };
    }
  },
  decide: (command, state) => {
    if (command.type === 'Open') return state.open ? [] : { type: 'Opened' };
    if (!state.open) throw new Error('the account is not open');
    if (command.type === 'Deposit') return { type: 'Deposited', data: { amount: command.amount } };
    if (command.amount > state.balance) throw new InsufficientFunds();
    return { type: 'Withdrawn', data: { amount: command.amount } };
  },
};
