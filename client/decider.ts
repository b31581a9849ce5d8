/**
 * A decider, in the manner of Emmett: an aggregate's behaviour as three pure parts. `evolve`
 * folds an event into the state, `initialState` is the state of an aggregate with no events, and
 * `decide` answers a command, given the current state, with the events it causes (or throws to
 * refuse it). The command handler reads, folds, decides and appends; the Given/When/Then helper
 * of `tauon/testing` tests one without a server.
 *
 * Generic over the event type, so that any event shape plugs in: plain `{ type, data }` objects
 * (the default), a union of typed events, or events that a codec maps to and from the wire.
 * @example
 * ```ts
 * type Account = { open: boolean; balance: number };
 * type Command = { type: 'Open' } | { type: 'Deposit'; amount: number };
 * type Event = { type: 'Opened' } | { type: 'Deposited'; data: { amount: number } };
 *
 * const account: Decider<Account, Command, Event> = {
 *   initialState: () => ({ open: false, balance: 0 }),
 *   evolve: (state, event) =>
 *     event.type === 'Opened' ? { ...state, open: true } : { ...state, balance: state.balance + event.data.amount },
 *   decide: (command, state) => {
 *     if (command.type === 'Open') return state.open ? [] : { type: 'Opened' };
 *     if (!state.open) throw new Error('the account is not open');
 *     return { type: 'Deposited', data: { amount: command.amount } };
 *   },
 * };
 * ```
 */
export interface Decider<State, Command, Event> {
  /** The state of an aggregate that has no events yet. Called once per load, so it may return a fresh object. */
  initialState(): State;
  /**
   * The state after one more event. Pure: it must not change `state` in place (snapshots and
   * tests share states). The command handler gives it stored events when loading, and the
   * decided events as `decide` returned them after a command: depend on what both have.
   */
  evolve(state: State, event: Event): State;
  /**
   * The events a command causes in the given state: one event, several (stored atomically, in
   * order), or none (an empty array: nothing is written). Throw to refuse the command; the
   * error reaches the caller of the command handler unchanged. May be async.
   */
  decide(command: Command, state: State): Event | readonly Event[] | Promise<Event | readonly Event[]>;
}

/** A decision as a list: one event becomes a list of one. */
export function decisionEvents<Event>(decision: Event | readonly Event[]): readonly Event[] {
  return Array.isArray(decision) ? (decision as readonly Event[]) : [decision as Event];
}

/** Folds events into a state with the decider's `evolve`, in order. */
export function foldEvents<State, Event>(
  decider: Pick<Decider<State, unknown, Event>, 'evolve'>,
  state: State,
  events: Iterable<Event>,
): State {
  let folded = state;
  for (const event of events) folded = decider.evolve(folded, event);
  return folded;
}
