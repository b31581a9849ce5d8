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
  ) {}

  /** The commit's events that `selector` addresses, in order. */
  selected(selector: Selector): readonly StoredEvent[] {
    const key = selector.kind === 'stream' ? `s${selector.stream}` : `p${selector.prefix}`;
    let mine = this.bySelector.get(key);
    if (mine === undefined) {
      const filtered = this.events.filter((event) => selects(selector, event));
      mine = filtered.length === this.events.length ? this.events : filtered;
      this.bySelector.set(key, mine);
    }
    return mine;
  }
}
