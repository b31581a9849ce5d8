import type { CommitView } from './commit-view.js';
import type { Selector } from './selector.js';

/**
 * How many of the oldest kept commits {@link RecentCommits.reaches} looks through for a stream's
 * events: every subscription without credit asks on every commit, and the kept commits can be
 * thousands.
 */
const MOST_COMMITS_LOOKED_AT = 32;

/**
 * The commits live subscriptions are served from: the newest, and while a subscription is
 * behind, every one since it fell behind. One that fell a little behind (its credit ran out for
 * a moment) is served from them in the encodings already made for the subscribers at the head,
 * instead of reading the store again per subscriber. Kept by serial: commit `n + 1` is the one
 * notified right after commit `n`.
 */
export class RecentCommits {
  private readonly commits: (CommitView | undefined)[] = [];
  /** Index in `commits` of the oldest commit kept (those before it were dropped). */
  private oldest = 0;
  private events = 0;

  constructor(
    /** Events kept at most (the newest commit is kept whatever its size). */
    private readonly maxEvents: number,
  ) {}

  /** Keeps `commit`, the one notified after the newest kept (its serial follows on). */
  add(commit: CommitView): void {
    const newest = this.commits[this.commits.length - 1];
    if (newest !== undefined && commit.serial !== newest.serial + 1) this.clear();
    this.commits.push(commit);
    this.events += commit.events.length;
    while (this.events > this.maxEvents && this.commits.length - this.oldest > 1) {
      this.events -= this.commits[this.oldest]!.events.length;
      this.commits[this.oldest] = undefined;
      this.oldest += 1;
    }
    // Dropping from the front is an index move; the array is compacted now and then.
    if (this.oldest >= 1024 && this.oldest * 2 >= this.commits.length) {
      this.commits.splice(0, this.oldest);
      this.oldest = 0;
    }
  }

  /** Forgets every commit (every subscription is at the head: none will ask for them). */
  clear(): void {
    this.commits.length = 0;
    this.oldest = 0;
    this.events = 0;
  }

  /** The commit with serial `serial`, if it is kept. */
  at(serial: number): CommitView | undefined {
    const first = this.commits[this.oldest];
    if (first === undefined) return undefined;
    return this.commits[this.oldest + serial - first.serial];
  }

  /**
   * The serial of the newest kept commit from which `selector`'s events after `cursor` can be
   * taken (see {@link CommitView.resumeIndex}), or undefined when the kept commits do not reach back
   * to the cursor.
   */
  startFor(selector: Selector, cursor: number): number | undefined {
    if (!this.reaches(selector, cursor)) return undefined;
    for (let index = this.commits.length - 1; index >= this.oldest; index--) {
      const commit = this.commits[index]!;
      if (selector.kind === 'prefix') {
        if (commit.previousHead === undefined) return undefined;
        if (commit.previousHead <= cursor) return commit.serial;
      } else {
        const mine = commit.selected(selector);
        if (mine.length > 0 && mine[0]!.seq <= cursor + 1) return commit.serial;
      }
    }
    return undefined;
  }

  /**
   * Whether the kept commits may reach back to `cursor` for `selector`: false when none is kept
   * or the oldest of them already starts past the cursor (for a stream: the oldest commit with
   * its events, when it is among the first few; true when it is not). Answered without walking
   * them all: a subscription further behind asks after every page it reads from the store, one
   * without credit on every commit, and the walk (a thousand commits at 10,000 events a second)
   * took a fan-out server several percent of its time.
   */
  reaches(selector: Selector, cursor: number): boolean {
    if (selector.kind === 'prefix') {
      const oldest = this.commits[this.oldest];
      if (oldest === undefined) return false;
      // Commits follow one another in position order: the oldest's previous head is the lowest.
      // Unknown (behind a routing store), they may reach: the caller looks further.
      return oldest.previousHead === undefined || oldest.previousHead <= cursor;
    }
    // A stream's seqs grow from commit to commit: its oldest kept event decides. Looked for among
    // the oldest few commits only (a quiet stream's may be far in): past them, "may" it is.
    const end = Math.min(this.commits.length, this.oldest + MOST_COMMITS_LOOKED_AT);
    for (let index = this.oldest; index < end; index++) {
      const mine = this.commits[index]!.selected(selector);
      if (mine.length > 0) return mine[0]!.seq <= cursor + 1;
    }
    return end < this.commits.length;
  }

  /** The serials kept, oldest first: `[first, last]`, or undefined when none is. */
  get span(): readonly [number, number] | undefined {
    const first = this.commits[this.oldest];
    const last = this.commits[this.commits.length - 1];
    return first === undefined || last === undefined ? undefined : [first.serial, last.serial];
  }
}
