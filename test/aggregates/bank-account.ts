import type { Decider } from '../../client/decider.js';

// A small decider for the aggregate tests: a bank account that must be opened before deposits
// and cannot go below zero.

export interface Account {
  open: boolean;
  balance: number;
  /** How many events were folded: what the snapshot tests count. */
  folded: number;
}

export type AccountCommand =
  | { type: 'Open' }
  | { type: 'Deposit'; amount: number; id?: string }
  | { type: 'Withdraw'; amount: number }
  | { type: 'Nothing' };

export type AccountEvent =
  | { type: 'Opened'; id?: string }
  | { type: 'Deposited'; data: { amount: number }; id?: string }
  | { type: 'Withdrawn'; data: { amount: number }; id?: string };

/** The refusal of a withdrawal beyond the balance. */
export class InsufficientFunds extends Error {
  override readonly name = 'InsufficientFunds';
  constructor(readonly balance: number) {
    super(`the balance is ${balance}`);
  }
}

export const account: Decider<Account, AccountCommand, AccountEvent> = {
  initialState: () => ({ open: false, balance: 0, folded: 0 }),
  evolve: (state, event) => {
    const folded = state.folded + 1;
    if (event.type === 'Opened') return { ...state, open: true, folded };
    if (event.type === 'Deposited') return { ...state, balance: state.balance + event.data.amount, folded };
    return { ...state, balance: state.balance - event.data.amount, folded };
  },
  decide: (command, state) => {
    if (command.type === 'Nothing') return [];
    if (command.type === 'Open') return state.open ? [] : { type: 'Opened' };
    if (!state.open) throw new Error('the account is not open');
    if (command.type === 'Deposit') {
      return { type: 'Deposited', data: { amount: command.amount }, ...(command.id === undefined ? {} : { id: command.id }) };
    }
    if (command.amount > state.balance) throw new InsufficientFunds(state.balance);
    return { type: 'Withdrawn', data: { amount: command.amount } };
  },
};

/** The same account with an async decide. */
export const asyncAccount: Decider<Account, AccountCommand, AccountEvent> = {
  ...account,
  decide: async (command, state) => {
    await Promise.resolve();
    return account.decide(command, state);
  },
};
