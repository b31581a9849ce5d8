import type { StoredEvent } from '../protocol/frames.js';
import { selects, type Selector } from './selector.js';

/**
 * One commit as the live subscriptions see it. The events each selector takes are worked out
 * once per commit, not once per subscription; when a selector takes every event the list is
 * the commit's own, so that subscribers of it share one list (and one encoding of it, see
 * protocol/events-frame.ts).
 */
export class CommitView {
  private readonly bySelector = new Map<string, readonly StoredEvent[]>();

  constructor(
    /** The commit's events, in position order; never empty. */
    readonly events: readonly StoredEvent[],
    /**
     * The store-wide position of the newest event before the commit, when the server knows it:
     * a pattern subscription whose cursor is exactly there can take the commit directly.
     */
    readonly previousHead: number | undefined,
    /** The commit's number among those the server was notified of: the next one has `serial + 1`. */
    readonly serial: number,
  ) {}

  /** The store-wide position of the commit's newest event. */
  get lastPos(): number {
    return this.events[this.events.length - 1]!.pos;
  }

  /** The commit's events that `selector` addresses, in order. */
  selected(selector: Selector): readonly StoredEvent[] {
    const key = keyOf(selector);
    let mine = this.bySelector.get(key);
    if (mine === undefined) {
      const filtered = this.events.filter((event) => selects(selector, event));
      mine = filtered.length === this.events.length ? this.events : filtered;
      this.bySelector.set(key, mine);
    }
    return mine;
  }

  /**
   * Where in `selected(selector)` the events after position `cursor` begin (its length when
   * none is after it), when the commit continues from there: no event of the selector lies
   * between the cursor and the commit. Undefined when it does not.
   */
  resumeIndex(selector: Selector, cursor: number): number | undefined {
    const mine = this.selected(selector);
    if (selector.kind === 'stream') {
      if (mine.length === 0) return 0;
      const skip = cursor + 1 - mine[0]!.seq;
      return skip < 0 ? undefined : Math.min(skip, mine.length);
    }
    // A pattern's positions are store-wide: the commit continues from the cursor when the
    // newest position before it is known and not past the cursor.
    if (this.previousHead === undefined || this.previousHead > cursor) return undefined;
    let index = 0;
    while (index < mine.length && mine[index]!.pos <= cursor) index += 1;
    return index;
  }
}

/**
 * Selectors by what they address, so that subscriptions of the same stream share a commit's
 * list. Kept per selector object: building the key anew on every call (a string concatenation
 * and its hashing, several times per subscription and commit) was a fifth of a fan-out
 * server's time.
 */
const selectorKeys = new WeakMap<Selector, string>();

function keyOf(selector: Selector): string {
  let key = selectorKeys.get(selector);
  if (key === undefined) {
    key = selector.kind === 'stream' ? `s${selector.stream}` : `p${selector.prefix}`;
    selectorKeys.set(selector, key);
  }
  return key;
}
