import { describe, expect, it } from 'vitest';
import { deciderSpec, DeciderSpecificationError } from '../../testing/index.js';
import { deepEqual } from '../../testing/deep-equal.js';
import { readableDiff } from '../../testing/readable-diff.js';
import { account, asyncAccount, InsufficientFunds } from './bank-account.js';

const given = deciderSpec(account);
const givenAsync = deciderSpec(asyncAccount);
const opened = { type: 'Opened' } as const;

/** What a failed expectation threw, at once or by rejecting (the test fails when nothing was thrown). */
async function failure(run: () => Promise<void>): Promise<DeciderSpecificationError> {
  const caught: unknown = await Promise.resolve().then(run).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(caught).toBeInstanceOf(DeciderSpecificationError);
  return caught as DeciderSpecificationError;
}

describe('Given/When/Then for deciders', () => {
  it('passes when the command decides the expected events, for a sync and an async decide', async () => {
    await given(opened).when({ type: 'Deposit', amount: 5 }).then({ type: 'Deposited', data: { amount: 5 } });
    await givenAsync([opened]).when({ type: 'Deposit', amount: 5 }).then([{ type: 'Deposited', data: { amount: 5 } }]);
    await given([]).when({ type: 'Open' }).then(opened);
    await given(opened).when({ type: 'Open' }).then([]);
  });

  it('fails with a readable diff of the expected and the decided events', async () => {
    const error = await failure(() => given(opened).when({ type: 'Deposit', amount: 5 }).then({ type: 'Deposited', data: { amount: 6 } }));
    expect(error.message).toContain('the command decided other events than expected');
    expect(error.message).toContain('-       "amount": 6');
    expect(error.message).toContain('+       "amount": 5');
    expect(error.message).toContain('\n      "type": "Deposited"\n');
    expect(error.expected).toEqual([{ type: 'Deposited', data: { amount: 6 } }]);
    expect(error.actual).toEqual([{ type: 'Deposited', data: { amount: 5 } }]);
  });

  it('fails at once, without an await, when decide is synchronous', () => {
    expect(() => given([]).when({ type: 'Open' }).then([])).toThrow(DeciderSpecificationError);
  });

  it('fails an async decide by rejecting', async () => {
    await expect(givenAsync([]).when({ type: 'Open' }).then([])).rejects.toBeInstanceOf(DeciderSpecificationError);
  });

  it('fails then() when the command was refused, naming the error', async () => {
    const error = await failure(() => given([]).when({ type: 'Deposit', amount: 1 }).then({ type: 'Deposited', data: { amount: 1 } }));
    expect(error.message).toBe('the command was refused with Error: the account is not open');
    expect((error.cause as Error).message).toBe('the account is not open');
  });

  it('checks a refusal by class, by a test, or any refusal', async () => {
    const deposited = { type: 'Deposited', data: { amount: 3 } } as const;
    await given([opened, deposited]).when({ type: 'Withdraw', amount: 4 }).thenThrows(InsufficientFunds);
    await givenAsync([opened, deposited]).when({ type: 'Withdraw', amount: 4 }).thenThrows((error) => (error as InsufficientFunds).balance === 3);
    await given([]).when({ type: 'Deposit', amount: 1 }).thenThrows();
    await given([]).when({ type: 'Deposit', amount: 1 }).thenThrows(Error);

    const notRefused = await failure(() => given(opened).when({ type: 'Deposit', amount: 1 }).thenThrows(InsufficientFunds));
    expect(notRefused.message).toContain('the command was expected to be refused, but it decided');
    expect(notRefused.message).toContain('"type": "Deposited"');
    const otherClass = await failure(() => given([]).when({ type: 'Deposit', amount: 1 }).thenThrows(InsufficientFunds));
    expect(otherClass.message).toBe('the command was refused with Error: the account is not open, not with an instance of InsufficientFunds');
    const failedTest = await failure(() => given([]).when({ type: 'Deposit', amount: 1 }).thenThrows(() => false));
    expect(failedTest.message).toContain('which did not pass the check');
  });

  it('checks the state after the command, by value or by a function', async () => {
    await given(opened).when({ type: 'Deposit', amount: 2 }).thenState({ open: true, balance: 2, folded: 2 });
    await givenAsync(opened).when({ type: 'Deposit', amount: 2 }).thenState((state, events) => state.balance === 2 && events.length === 1);
    const byValue = await failure(() => given(opened).when({ type: 'Deposit', amount: 2 }).thenState({ open: true, balance: 3, folded: 2 }));
    expect(byValue.message).toContain('-   "balance": 3');
    expect(byValue.message).toContain('+   "balance": 2');
    const byFunction = await failure(() => given(opened).when({ type: 'Deposit', amount: 2 }).thenState((state) => state.balance > 2));
    expect(byFunction.message).toContain('did not pass the check');
    // A check that throws its own assertion error fails with that error.
    expect(() =>
      given(opened)
        .when({ type: 'Deposit', amount: 2 })
        .thenState((state) => expect(state.balance).toBe(9)),
    ).toThrow(/expected 2 to be 9/);
  });

  it('says what went wrong when a when() step is awaited as if it were a promise', async () => {
    const step = given(opened).when({ type: 'Deposit', amount: 2 });
    await expect((async () => await (step as unknown as Promise<void>))()).rejects.toThrow(/a when\(\) step is not a promise/);
  });
});

describe('deepEqual and readableDiff', () => {
  it('compares by structure: key order and undefined keys do not count, item order does', () => {
    expect(deepEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(deepEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual({ a: 1 }, { a: '1' })).toBe(false);
    expect(deepEqual(null, {})).toBe(false);
    expect(deepEqual([], {})).toBe(false);
    expect(deepEqual(new Map([['k', { v: 1 }]]), new Map([['k', { v: 1 }]]))).toBe(true);
    expect(deepEqual(new Set([1, 2]), new Set([2, 1]))).toBe(true);
    expect(deepEqual(new Set([1]), new Set([2]))).toBe(false);
    expect(deepEqual(new Date(5), new Date(5))).toBe(true);
    expect(deepEqual(new Date(5), { time: 5 })).toBe(false);
    expect(deepEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(deepEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(deepEqual(Number.NaN, Number.NaN)).toBe(true);
  });

  it('marks only the lines that differ', () => {
    expect(readableDiff([{ type: 'A', data: 1 }], [{ data: 2, type: 'A' }])).toBe(
      ['- expected', '+ actual', '', '  [', '    {', '-     "data": 1,', '+     "data": 2,', '      "type": "A"', '    }', '  ]'].join('\n'),
    );
    expect(readableDiff(undefined, new Set([1n]))).toContain('+ {\n+   "<Set>": [\n+     "1n"');
  });
});
