import type { StoredEvent } from '../../../protocol/frames.js';
import type { CommitListeners } from '../commit-listeners.js';

/** Where the feed reads commits it did not make itself. */
export interface CommitFeedSource {
  /** Events with positions in (after, upTo], in position order, at most `limit`. */
  readAfter(after: number, upTo: number, limit: number): Promise<StoredEvent[]>;
}

/** Options of a {@link CommitFeed}. */
export interface CommitFeedOptions {
  /** How many events one read of the table fetches. */
  readonly pageSize: number;
  /** Whether anyone listens: without listeners the feed moves on without reading. */
  readonly hasListeners: () => boolean;
  /** Told about failures the feed recovers from by itself, for a warning. */
  readonly trouble: (message: string) => void;
}

/** How often, and how long apart, a read that finds a notified commit not yet visible is retried. */
const INVISIBLE_RETRIES = 50;
const INVISIBLE_RETRY_MS = 20;
/** The pause after a failed read, in ms, doubled per failure up to the next. */
const FIRST_FAILURE_PAUSE_MS = 50;
const LONGEST_FAILURE_PAUSE_MS = 5_000;

/**
 * The `onCommit` side of the PostgreSQL store: tells the listeners every committed event once, in
 * position order, whichever server committed it.
 *
 * Positions of the store are dense and become visible in order, so the feed only needs the last
 * position it dispatched: a commit of this store object is dispatched from the events in hand,
 * after the feed has read any positions before it from the table (other servers' commits whose
 * notifications have not arrived yet); a notification, of another server's commit or an echo of
 * this store's own, makes the feed read from the table what lies after the last dispatched
 * position. Whatever arrives second finds its events dispatched already and does nothing.
 */
export class CommitFeed {
  /** The last position the listeners heard of (or skipped, while nobody listened). */
  private dispatched: number;
  /** The highest position known to be committed. */
  private known: number;
  /** This store's commits not yet dispatched, in position order. */
  private readonly local: (readonly StoredEvent[])[] = [];
  /** Appends waiting for their commit to be dispatched, with the last position they wrote. */
  private readonly waiters: { readonly pos: number; readonly resolve: () => void }[] = [];
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Waiting out a pause after a failed read; the timer's callback resumes. */
  private paused = false;
  /** Failures in a row, to lengthen the pause. */
  private failures = 0;

  constructor(
    private readonly source: CommitFeedSource,
    private readonly listeners: CommitListeners,
    private readonly options: CommitFeedOptions,
    /** The head position when the feed starts: listeners hear of commits after it. */
    start: number,
  ) {
    this.dispatched = start;
    this.known = start;
  }

  /**
   * A commit this store made, with the events it wrote in position order. Resolves once the
   * listeners heard of them, or once the feed gave up for now on a failure (they hear of them
   * later), or at once when the feed is stopped.
   */
  committedHere(events: readonly StoredEvent[]): Promise<void> {
    const last = events[events.length - 1];
    if (last === undefined || this.stopped || last.pos <= this.dispatched) return Promise.resolve();
    this.local.push(events);
    this.known = Math.max(this.known, last.pos);
    if (this.paused) return Promise.resolve();
    const heard = new Promise<void>((resolve) => this.waiters.push({ pos: last.pos, resolve }));
    this.run();
    return heard;
  }

  /** A commit notified on the channel: everything up to `pos` is committed. */
  committedUpTo(pos: number): void {
    if (this.stopped || pos <= this.known) return;
    this.known = pos;
    if (!this.paused) this.run();
  }

  /** Stops dispatching; resolves once a dispatch in progress ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.releaseWaiters(Number.MAX_SAFE_INTEGER);
    await this.running;
  }

  private run(): void {
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
      // Positions that became known while the drain was ending; after a failure, the pause's
      // timer resumes instead.
      if (!this.stopped && !this.paused && this.dispatched < this.known) this.run();
    });
  }

  private async drain(): Promise<void> {
    let invisible = 0;
    while (!this.stopped && this.dispatched < this.known) {
      while (this.local.length > 0 && this.local[0]![this.local[0]!.length - 1]!.pos <= this.dispatched) this.local.shift();
      if (!this.options.hasListeners()) {
        this.dispatched = this.known;
        this.local.length = 0;
        break;
      }
      const next = this.local[0];
      if (next !== undefined && next[0]!.pos <= this.dispatched + 1) {
        this.local.shift();
        this.dispatch(next.filter((event) => event.pos > this.dispatched));
        continue;
      }
      const upTo = next === undefined ? this.known : next[0]!.pos - 1;
      let page: StoredEvent[];
      try {
        page = await this.source.readAfter(this.dispatched, upTo, this.options.pageSize);
      } catch (error) {
        this.pauseAfterFailure(`reading commits after position ${this.dispatched} failed: ${String(error)}`);
        return;
      }
      if (this.stopped) return;
      if (page.length === 0) {
        // A notification can arrive a moment before the commit is visible to other sessions.
        if (++invisible > INVISIBLE_RETRIES) {
          this.pauseAfterFailure(`commits up to position ${upTo} were notified but are not visible`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, INVISIBLE_RETRY_MS));
        continue;
      }
      invisible = 0;
      this.dispatch(page);
    }
    this.releaseWaiters(this.dispatched);
  }

  private dispatch(events: readonly StoredEvent[]): void {
    const last = events[events.length - 1];
    if (last === undefined) return;
    this.dispatched = last.pos;
    this.failures = 0;
    this.listeners.notify(events);
    this.releaseWaiters(this.dispatched);
  }

  /** Resolves the waiters of commits up to `pos`. */
  private releaseWaiters(pos: number): void {
    while (this.waiters.length > 0 && this.waiters[0]!.pos <= pos) this.waiters.shift()!.resolve();
  }

  /**
   * After a failure: lets every waiting append go (its commit stands; its listeners hear of it
   * when the feed catches up), and tries again after a pause that grows with each failure.
   */
  private pauseAfterFailure(message: string): void {
    this.options.trouble(message);
    this.releaseWaiters(Number.MAX_SAFE_INTEGER);
    const pause = Math.min(FIRST_FAILURE_PAUSE_MS * 2 ** this.failures, LONGEST_FAILURE_PAUSE_MS);
    this.failures++;
    this.paused = true;
    const timer = setTimeout(() => {
      this.paused = false;
      if (!this.stopped) this.run();
    }, pause);
    timer.unref();
  }
}
