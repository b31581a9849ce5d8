// The decider the aggregate figures run: an account of deposits, as small as a real one, so
// that the figures measure reading, folding and appending rather than business logic. The
// hand-written PostgreSQL cycle folds and decides with the same functions.
import type { Decider } from '../../client/index.js';

export interface Balance {
  deposits: number;
  total: number;
}

export interface Deposit {
  amount: number;
}

export interface Deposited {
  type: 'Deposited';
  data: { amount: number };
}

export const account: Decider<Balance, Deposit, Deposited> = {
  initialState: () => ({ deposits: 0, total: 0 }),
  evolve: (state, event) => ({ deposits: state.deposits + 1, total: state.total + event.data.amount }),
  decide: (command, state) => {
    if (command.amount <= 0) throw new Error('a deposit is positive');
    if (state.total + command.amount > Number.MAX_SAFE_INTEGER) throw new Error('the account is full');
    return { type: 'Deposited', data: { amount: command.amount } };
  },
};

/** The stream of aggregate `n`. */
export function accountStream(n: number): string {
  return `account-${n}`;
}

/** The events of a filled aggregate: `count` deposits. */
export function deposits(count: number, idPrefix: string): (Deposited & { id: string })[] {
  return Array.from({ length: count }, (_, index) => ({ id: `${idPrefix}-${index}`, type: 'Deposited', data: { amount: index + 1 } }));
}
