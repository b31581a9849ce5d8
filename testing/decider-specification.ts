import { decisionEvents, foldEvents, type Decider } from '../client/decider.js';
import { deepEqual } from './deep-equal.js';
import { readableDiff, show } from './readable-diff.js';

/** An error class (`thenThrows(InsufficientFunds)`), or a test of the error thrown. */
export type ExpectedError = (abstract new (...args: never[]) => unknown) | ((error: unknown) => boolean);

/**
 * A failed Given/When/Then expectation: `message` holds a readable diff of what was expected
 * and what came; `expected` and `actual` are there too, for test runners that show their own.
 */
export class DeciderSpecificationError extends Error {
  override readonly name = 'DeciderSpecificationError';
  constructor(
    message: string,
    readonly expected: unknown,
    readonly actual: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The command of a specification, to be checked against what the decider does. */
export interface WhenStep<State, Event> {
  /**
   * Expects the command to decide exactly these events (structural equality, in order; one event
   * stands for a list of one, `[]` for no event). Throws {@link DeciderSpecificationError}, with a
   * diff, when it decided others or threw. Synchronous when `decide` is; await it (or return it
   * from the test) for an async `decide`.
   */
  then(expected: Event | readonly Event[]): Promise<void>;
  /**
   * Expects the state after the given events and the decided ones to equal `expected`, or to
   * pass it when it is a function (which throws, or returns false, to fail).
   */
  thenState(expected: State | ((state: State, events: readonly Event[]) => boolean | void)): Promise<void>;
  /**
   * Expects the command to be refused: `decide` throws (or rejects with) an error that is an
   * instance of the given class, or passes the given test; any error when none is given.
   */
  thenThrows(expected?: ExpectedError): Promise<void>;
}

/** The history of a specification. */
export interface GivenStep<State, Command, Event> {
  /** The command to decide after the given events. */
  when(command: Command): WhenStep<State, Event>;
}

/** Starts a specification from the events already stored for the aggregate (none: `[]`). */
export type Given<State, Command, Event> = (events: Event | readonly Event[]) => GivenStep<State, Command, Event>;

/**
 * Given/When/Then for a decider, with no server: given these events, when this command, then
 * these events (or this state, or this error). Works with any test runner (vitest, node:test,
 * jest, mocha): a failed expectation throws an Error whose message shows what differed.
 * @example
 * ```ts
 * import { deciderSpec } from 'tauon/testing';
 *
 * const given = deciderSpec(account);
 *
 * it('deposits into an open account', () =>
 *   given({ type: 'Opened' }).when({ type: 'Deposit', amount: 5 }).then({ type: 'Deposited', data: { amount: 5 } }));
 *
 * it('refuses a deposit into a closed account', () =>
 *   given([]).when({ type: 'Deposit', amount: 5 }).thenThrows(AccountClosed));
 * ```
 */
export function deciderSpec<State, Command, Event>(decider: Decider<State, Command, Event>): Given<State, Command, Event> {
  return (given) => ({
    when: (command) => new Specification(decider, decisionEvents(given), command),
  });
}

/** The outcome of deciding: the events, or what was thrown. */
type Outcome<Event> = { events: readonly Event[] } | { error: unknown };

class Specification<State, Command, Event> implements WhenStep<State, Event> {
  constructor(
    private readonly decider: Decider<State, Command, Event>,
    private readonly given: readonly Event[],
    private readonly command: Command,
  ) {}

  then(expected: Event | readonly Event[]): Promise<void> {
    if (typeof expected === 'function') {
      // `await given(...).when(...)` makes the runtime call then(resolve, reject): say so.
      throw new TypeError('then() takes the expected events; a when() step is not a promise: call .then([...]) instead of awaiting it');
    }
    const want = decisionEvents(expected);
    return this.check((outcome) => {
      if ('error' in outcome) throw this.unexpectedError(outcome.error, want);
      if (!deepEqual(want, outcome.events)) {
        throw new DeciderSpecificationError(
          `the command decided other events than expected\n\n${readableDiff(want, outcome.events)}`,
          want,
          outcome.events,
        );
      }
    });
  }

  thenState(expected: State | ((state: State, events: readonly Event[]) => boolean | void)): Promise<void> {
    return this.check((outcome) => {
      if ('error' in outcome) throw this.unexpectedError(outcome.error, expected);
      const state = foldEvents(this.decider, this.givenState(), outcome.events);
      if (typeof expected === 'function') {
        const passed = (expected as (state: State, events: readonly Event[]) => boolean | void)(state, outcome.events);
        if (passed === false) {
          throw new DeciderSpecificationError(`the state after the command did not pass the check\n\n${show(state)}`, undefined, state);
        }
      } else if (!deepEqual(expected, state)) {
        throw new DeciderSpecificationError(
          `the state after the command is not the one expected\n\n${readableDiff(expected, state)}`,
          expected,
          state,
        );
      }
    });
  }

  thenThrows(expected?: ExpectedError): Promise<void> {
    return this.check((outcome) => {
      if (!('error' in outcome)) {
        throw new DeciderSpecificationError(
          `the command was expected to be refused, but it decided\n\n${show(outcome.events)}`,
          expected,
          outcome.events,
        );
      }
      if (expected === undefined) return;
      if (isErrorClass(expected)) {
        if (!(outcome.error instanceof expected)) {
          throw new DeciderSpecificationError(
            `the command was refused with ${describeError(outcome.error)}, not with an instance of ${expected.name}`,
            expected.name,
            outcome.error,
            { cause: outcome.error },
          );
        }
      } else if (!expected(outcome.error)) {
        throw new DeciderSpecificationError(
          `the command was refused with ${describeError(outcome.error)}, which did not pass the check`,
          undefined,
          outcome.error,
          { cause: outcome.error },
        );
      }
    });
  }

  private givenState(): State {
    return foldEvents(this.decider, this.decider.initialState(), this.given);
  }

  /** Decides, then checks the outcome: synchronously when `decide` is synchronous, so that a forgotten await still fails the test. */
  private check(assert: (outcome: Outcome<Event>) => void): Promise<void> {
    const state = this.givenState();
    let decision: ReturnType<Decider<State, Command, Event>['decide']>;
    try {
      decision = this.decider.decide(this.command, state);
    } catch (error) {
      assert({ error });
      return Promise.resolve();
    }
    if (!isPromiseLike(decision)) {
      assert({ events: decisionEvents(decision) });
      return Promise.resolve();
    }
    return Promise.resolve(decision).then(
      (events) => assert({ events: decisionEvents(events) }),
      (error: unknown) => assert({ error }),
    );
  }

  private unexpectedError(error: unknown, expected: unknown): DeciderSpecificationError {
    return new DeciderSpecificationError(`the command was refused with ${describeError(error)}`, expected, error, { cause: error });
  }
}

function isErrorClass(expected: ExpectedError): expected is abstract new (...args: never[]) => unknown {
  const prototype = (expected as { prototype?: unknown }).prototype;
  return prototype === Error.prototype || prototype instanceof Error;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : show(error);
}
