/**
 * Short turns: no one request holds the event loop for long. A scan that may run through a
 * million events (a filter or a pattern that matches nothing, a time seek, a surface of many
 * keys) counts the items it visits, looks at the clock every {@link ITEMS_PER_CHECK} of them,
 * and once it has run {@link TURN_BUDGET_MS} it waits for a macrotask before it goes on: the
 * I/O of the other connections (an emit, its commit and its ack) is served in between.
 *
 * Node-side only (setImmediate): protocol/ and client/ stay runtime-neutral.
 */

/**
 * How long a request runs before it lets the others in, in ms. With five such scans at once,
 * another client's emit waits about five of these plus its own commit.
 */
export const TURN_BUDGET_MS = 5;

/**
 * How many items a scan visits between two looks at the clock: per item it is a counter, so
 * replays and scans keep their speed (decoding 256 stored events takes well under a turn).
 */
export const ITEMS_PER_CHECK = 256;

/** Resolves in a later turn of the event loop, after the I/O that is waiting (setImmediate). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * One request's share of the event loop: made when the request starts (or its turn does), it
 * says when the request has run for its budget. Counting is per item, the clock is read per
 * {@link ITEMS_PER_CHECK} items, or at the caller's own coarser steps (a page) with {@link spent}.
 *
 * @example
 * const turns = new TurnBudget();
 * for (let i = from; i < log.length; i++) {
 *   if (matches(log[i])) return log[i];
 *   if (turns.count()) await turns.pause();
 * }
 */
export class TurnBudget {
  private turnStart: number;
  private items = 0;

  constructor(
    private readonly budgetMs = TURN_BUDGET_MS,
    private readonly itemsPerCheck = ITEMS_PER_CHECK,
    /** The clock, in ms; a test passes its own. @default performance.now */
    private readonly now: () => number = () => performance.now(),
  ) {
    this.turnStart = now();
  }

  /** Counts one item visited; true when the turn is spent (the clock is read every `itemsPerCheck` items). */
  count(): boolean {
    this.items += 1;
    if (this.items < this.itemsPerCheck) return false;
    this.items = 0;
    return this.spent();
  }

  /** True when the request has run for its budget since its turn began. */
  spent(): boolean {
    return this.now() - this.turnStart >= this.budgetMs;
  }

  /** Waits for a later turn of the event loop; the budget starts again there. */
  async pause(): Promise<void> {
    await nextTurn();
    this.turnStart = this.now();
    this.items = 0;
  }

  /** Pauses when the turn is spent: for loops whose steps are coarse (a page), checked once a step. */
  async yieldIfSpent(): Promise<void> {
    if (this.spent()) await this.pause();
  }
}

/** `items.map(map)` in short turns: for an answer of many items built from a list at hand (a surface's rows). */
export async function mapInTurns<T, U>(items: readonly T[], map: (item: T) => U, turns: TurnBudget = new TurnBudget()): Promise<U[]> {
  const result: U[] = [];
  for (const item of items) {
    result.push(map(item));
    if (turns.count()) await turns.pause();
  }
  return result;
}
