import type { Database, Key, Transaction } from 'lmdb';
import { TurnBudget } from '../../short-turns.js';

/** The part of lmdb-js's range options a scan in turns passes on. */
export interface TurnRange<K extends Key> {
  readonly start?: K;
  readonly end?: K;
  readonly reverse?: boolean;
  /** A read transaction held across the turns, for a scan that must see one state throughout. */
  readonly transaction?: Transaction;
}

/**
 * Visits the entries of a key range in order, as `getRange` does, in short turns (see
 * short-turns.ts): lmdb-js iterates a range synchronously, so a walk through a million entries
 * held the event loop for a second. Once the turn is spent the walk ends, the event loop serves
 * the other connections, and a new walk starts just after the last key visited. `visit`
 * answers false to end the scan; `stillOpen` is called after each pause and throws when the
 * store was closed meanwhile.
 *
 * Without `range.transaction` each walk reads the newest committed state: positions only grow
 * and stored events do not change, so a scan of events sees what one long walk would have, plus
 * events committed meanwhile past the last key visited, as a later read would.
 */
export async function visitRangeInTurns<K extends Key, V>(
  db: Database<V, K>,
  range: TurnRange<K>,
  visit: (key: K, value: V) => boolean,
  stillOpen: () => void,
  turns: TurnBudget = new TurnBudget(),
): Promise<void> {
  let options: TurnRange<K> & { exclusiveStart?: boolean } = range;
  for (;;) {
    let last: { key: K } | undefined;
    for (const { key, value } of db.getRange(options)) {
      if (!visit(key, value)) return;
      if (turns.count()) {
        last = { key };
        break;
      }
    }
    if (last === undefined) return;
    await turns.pause();
    stillOpen();
    options = { ...range, start: last.key, exclusiveStart: true };
  }
}
