import type { EventRun } from '../protocol/events-frame.js';
import type { ServerFrame, StoredEvent, SubscriptionMode } from '../protocol/frames.js';
import type { CommitView } from './commit-view.js';
import type { EventPredicate } from './event-filter.js';
import { stderrInternalErrors, type InternalErrors } from './internal-errors.js';
import { SUBSCRIPTION_PAGE_SIZE, SUBSCRIPTION_STALLED_MS } from './limits.js';
import type { MetricsTally } from './metrics-tally.js';
import type { RecentCommits } from './recent-commits.js';
import { positionIn, readSelected, type Selector } from './selector.js';
import { TurnBudget } from './short-turns.js';
import type { EncodedEvents, EventStore } from './stores/event-store.js';

/** What a subscription needs from the session that owns it. */
export interface SubscriptionHost {
  readonly store: EventStore;
  send(frame: ServerFrame): void;
  /**
   * Sends an `events` frame of `count` events already encoded in msgpack, one after the other
   * in `events`; present when the client's codec is msgpack. Replays then splice the store's
   * bytes instead of decoding and encoding.
   */
  readonly sendEncoded?: (sub: number, count: number, events: Uint8Array) => void;
  /**
   * Sends the events of `runs`, one run after the other, in one `events` frame, or in several
   * when one would hold more than one event beyond `maxEventsFrameBytes` (SPEC 6.5.4).
   */
  sendRuns(sub: number, runs: readonly EventRun[]): void;
  /**
   * The most bytes an `events` frame of more than one event may take (the server's
   * maxFrameBytes, SPEC 6.5.4); `sendEncoded` frames are cut to it here. Absent: no bound.
   */
  readonly maxEventsFrameBytes?: number;
  /** The server's newest commits: live subscriptions are served from them. */
  readonly recent: RecentCommits;
  /**
   * Delivers at once the commits the server holds back from its live subscriptions (see
   * FanOutPacer); false when it holds none. They are durable already, and acknowledged.
   */
  releaseHeldCommits(): boolean;
  /** Called once when the subscription ends by itself (complete or failure). */
  ended(subscription: Subscription): void;
  /** A live subscription more than this many positions behind is told `fell-behind`. */
  readonly behindThreshold: number;
  /** Turns failures into what the client may be told, logging internal ones. @default to stderr */
  readonly errors?: InternalErrors;
  /** Where fell-behinds and failed reads are counted (the server's metrics). Absent: not counted. */
  readonly tally?: MetricsTally;
  /**
   * False while the connection holds more unsent bytes than its bound: delivery then stops, as
   * without credit, until `whenWritable` calls back. Absent: delivery never waits for it.
   */
  readonly writable?: () => boolean;
  /** Calls `resume` once, when the connection has drained (or closed). */
  readonly whenWritable?: (resume: () => void) => void;
}

export interface SubscriptionSpec {
  readonly sub: number;
  readonly selector: Selector;
  readonly mode: SubscriptionMode;
  readonly predicate: EventPredicate;
  /** The last position behind the subscription (exclusive start). */
  readonly cursor: number;
  /** Cold mode: the head at subscribe time; nothing after it is delivered. */
  readonly target: number;
  readonly credit: number;
}

/** What one page of a read came to. */
interface SentPage {
  /** Events of the page that may be delivered (in cold mode, up to the target). */
  readonly length: number;
  /** Of those, how many the cursor moved past (the rest wait for credit). */
  readonly consumed: number;
  /** The read came back short: the store has nothing more now. */
  readonly reachedEnd: boolean;
}

/**
 * One subscription's delivery: reads from the store from its cursor, never sends more events
 * than its credit, says `caught-up` at the head and, in live modes, follows commits. Live
 * delivery goes through the same cursor as history, so the switch has no gap and no duplicate.
 * Nothing is buffered for a subscriber without credit: it is read from the store when credit
 * returns, so server memory does not grow with its backlog.
 */
export class Subscription {
  readonly sub: number;
  private cursor: number;
  private credit: number;
  /** Live modes: at the head and following commits (after `caught-up`). */
  private live = false;
  /** A live subscription that was told `fell-behind` and has not caught up since. */
  private behind = false;
  private pumping = false;
  /** Commits arrived while a pump was running, so it must look again. */
  private dirty = false;
  private closed = false;
  /** The newest position of the selector known from commits, to measure how far behind it is. */
  private knownHead: number;
  /** The serial of the first commit not yet delivered whole, when known (see RecentCommits). */
  private nextSerial: number | undefined;
  /** When credit last came (performance.now()), to tell a stalled consumer from a slow one. */
  private creditCameAt = performance.now();
  /** Waiting for the connection to drain (see SubscriptionHost.writable), since `blockedAt`. */
  private awaitingDrain = false;
  private blockedAt = 0;

  constructor(
    private readonly host: SubscriptionHost,
    private readonly spec: SubscriptionSpec,
  ) {
    this.sub = spec.sub;
    this.cursor = spec.cursor;
    this.credit = spec.credit;
    this.knownHead = spec.cursor;
  }

  /** Starts delivery: hot mode is at the head already; the others read history first. */
  start(): void {
    if (this.spec.mode === 'hot') {
      this.live = true;
      this.host.send({ type: 'caught-up', sub: this.sub, at: this.cursor });
      // A commit between resolving the head and following commits is read now, not left for
      // the next commit to reveal.
      this.pump();
      return;
    }
    this.pump();
  }

  /** Adds credit (already checked to be positive) and resumes delivery. */
  addCredit(n: number): void {
    this.credit += n;
    this.creditCameAt = performance.now();
    // At the head and following: nothing to read, the next commit is delivered directly.
    if (this.live && !this.behind && !this.pumping && this.cursor >= this.knownHead) return;
    // The connection's drain pumps.
    if (this.awaitingDrain) return;
    this.pump();
  }

  get outstandingCredit(): number {
    return this.credit;
  }

  /**
   * What holds up a subscription that has events to send: `connection` while it waits for its
   * connection to drain, `credit` while it has none (and is not a live subscription at the head,
   * which has nothing to send); undefined when nothing does.
   */
  get pausedFor(): 'credit' | 'connection' | undefined {
    if (this.closed) return undefined;
    if (this.awaitingDrain) return 'connection';
    if (this.credit > 0 || (this.live && !this.behind && this.cursor >= this.knownHead)) return undefined;
    return 'credit';
  }

  /** Stops delivery for good (unsubscribe, connection closed). */
  close(): void {
    this.closed = true;
  }

  /**
   * A commit happened: at the head it goes out directly, without being read back from the
   * store, as far as the credit allows; the rest is sent when credit returns. Returns whether
   * the subscription can do without the recent commits: it is at the head afterwards (nothing
   * of it left to send), or it has no credit and is stalled (none for SUBSCRIPTION_STALLED_MS)
   * or further behind than the recent commits reach. Either way it reads the store when it
   * takes events again.
   */
  onCommit(commit: CommitView): boolean {
    if (!this.closed && this.spec.mode !== 'cold') this.take(commit);
    if (this.closed || (this.live && !this.pumping && this.cursor >= this.knownHead)) return true;
    if ((this.credit > 0 && !this.awaitingDrain) || this.pumping) return false;
    // Past the recent commits' reach, keeping them serves it nothing; kept until the stall time
    // all the same, a fast producer's every event outlived the young generation (a stalled
    // subscriber's server grew ~20 MB more while a million events were appended).
    const waitingSince = this.credit > 0 ? this.blockedAt : this.creditCameAt;
    return performance.now() - waitingSince >= SUBSCRIPTION_STALLED_MS || !this.host.recent.reaches(this.spec.selector, this.cursor);
  }

  private take(commit: CommitView): void {
    const selector = this.spec.selector;
    const mine = commit.selected(selector);
    if (mine.length > 0) this.knownHead = Math.max(this.knownHead, positionIn(selector, mine[mine.length - 1]!));
    if (!this.live || this.pumping) {
      this.dirty = true;
      return;
    }
    if (this.connectionFull()) {
      this.checkBehind();
      return;
    }
    // The commit is the newest of the recent ones: sent in one frame, however large.
    this.sendRecent(this.credit);
    if (this.cursor >= this.knownHead) return;
    if (this.credit > 0) {
      this.pump();
    } else {
      this.checkBehind();
    }
  }

  private pump(): void {
    if (this.closed) return;
    if (this.pumping) {
      this.dirty = true;
      return;
    }
    this.pumping = true;
    this.dirty = false;
    this.readUntilBlocked()
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        this.pumping = false;
        if (this.dirty && !this.closed && this.credit > 0) this.pump();
      });
  }

  /**
   * Reads and sends pages until the credit runs out or the head is reached. Reaching the head
   * takes no credit (SPEC 6.4.4): without credit, a subscription that still owes a `caught-up`
   * (or, cold, a `complete`) looks one event ahead, passing over filtered-out events, and says
   * it when there is nothing more. A live subscription at the head owes nothing and stops.
   */
  private async readUntilBlocked(): Promise<void> {
    const { selector, predicate, mode, target } = this.spec;
    const store = this.host.store;
    const sendPage = (predicate === undefined ? this.encodedPageSender() : undefined) ?? ((from, limit) => this.sendDecodedPage(from, limit));
    // A page at a time the reads only wait for microtasks: without turns, a filter that matched
    // nothing in a million events held the event loop for the whole scan.
    const turns = new TurnBudget();
    while (!this.closed) {
      if (this.credit === 0 && (this.live ? !this.behind : this.knownToHaveMore())) break;
      await turns.yieldIfSpent();
      if (this.closed) return;
      if (this.connectionFull()) break;
      this.dirty = false;
      if (mode === 'cold' && this.cursor >= target) {
        this.complete();
        return;
      }
      if (this.sendRecent(SUBSCRIPTION_PAGE_SIZE)) {
        if (this.cursor >= this.knownHead) {
          // Caught up through the recent commits, which lack those held back from the fan-out:
          // they come first, so that `at` is not behind an append already acknowledged.
          if (this.behind && this.host.releaseHeldCommits()) continue;
          this.reachedHead();
          if (!this.dirty) return;
        }
        continue;
      }
      // Without credit, one event is read: whether there is any decides whether the head is reached.
      const limit = predicate === undefined ? Math.max(1, Math.min(SUBSCRIPTION_PAGE_SIZE, this.credit)) : SUBSCRIPTION_PAGE_SIZE;
      // For a pattern, the store's head before the read bounds what the read can miss: every
      // event up to it is visible, so at the end of the read the cursor may move up to it.
      const headBefore = selector.kind === 'prefix' ? await store.headPosition(selector.prefix) : 0;
      const page = await sendPage(this.cursor + 1, limit);
      if (page === undefined) return;
      // Events of the page left unconsumed wait for credit.
      if (page.consumed < page.length) break;
      if (mode === 'cold' && (page.reachedEnd || page.length < limit || this.cursor >= target)) {
        this.complete();
        return;
      }
      if (page.reachedEnd) {
        if (selector.kind === 'prefix') this.cursor = Math.max(this.cursor, headBefore);
        this.reachedHead();
        if (!this.dirty) return;
      }
    }
    if (!this.closed && this.live) this.checkBehind();
  }

  /**
   * Whether events to deliver are known to lie beyond the cursor without reading: in one
   * stream without a filter, seqs are dense, so a cursor below the cold target or a committed seq
   * has more. (A replay that runs out of credit then waits without reading one event ahead.)
   */
  private knownToHaveMore(): boolean {
    if (this.spec.selector.kind !== 'stream' || this.spec.predicate !== undefined) return false;
    return this.cursor < (this.spec.mode === 'cold' ? this.spec.target : this.knownHead);
  }

  /**
   * Whether the connection is over its bound of unsent bytes (checked once a frame, never once an
   * event). Then delivery stops where it is, nothing skipped or held, and the subscription pumps
   * again once the connection drains: like credit running out, but for the socket.
   */
  private connectionFull(): boolean {
    const { writable, whenWritable } = this.host;
    if (writable === undefined || whenWritable === undefined || writable()) return false;
    if (!this.awaitingDrain) {
      this.awaitingDrain = true;
      this.blockedAt = performance.now();
      whenWritable(() => {
        this.awaitingDrain = false;
        this.pump();
      });
    }
    return true;
  }

  /**
   * Serves a live subscription from the server's recent commits, when they reach back to its
   * cursor: up to `most` events (and its credit) in one frame spliced from the encodings shared
   * by all the subscribers of a commit. Events the filter passes over move the cursor without
   * credit. Returns whether the cursor moved; when it did not, the store is read instead.
   */
  private sendRecent(most: number): boolean {
    const recent = this.host.recent;
    const span = recent.span;
    if (span === undefined || !this.live) return false;
    const { selector, predicate } = this.spec;
    let serial = this.nextSerial;
    if (serial === undefined || serial < span[0] || serial > span[1] + 1) serial = recent.startFor(selector, this.cursor);
    if (serial === undefined || serial > span[1]) return false;
    const before = this.cursor;
    const room = Math.min(this.credit, most);
    const runs: EventRun[] = [];
    let count = 0;
    for (let commit = recent.at(serial); commit !== undefined; commit = recent.at(serial)) {
      const start = commit.resumeIndex(selector, this.cursor);
      if (start === undefined) break;
      const mine = commit.selected(selector);
      let end = start;
      if (predicate === undefined) {
        end = Math.min(mine.length, start + room - count);
        if (end > start) {
          runs.push({ events: mine, start, end });
          count += end - start;
          this.cursor = positionIn(selector, mine[end - 1]!);
        }
      } else {
        const deliverable: StoredEvent[] = [];
        for (; end < mine.length; end++) {
          const event = mine[end]!;
          if (predicate(event)) {
            if (count + deliverable.length === room) break;
            deliverable.push(event);
          }
          this.cursor = positionIn(selector, event);
        }
        if (deliverable.length > 0) runs.push({ events: deliverable, start: 0, end: deliverable.length });
        count += deliverable.length;
      }
      if (end < mine.length) break;
      // A pattern passes the whole commit, its other streams' events included.
      if (selector.kind === 'prefix') this.cursor = Math.max(this.cursor, commit.lastPos);
      serial += 1;
    }
    this.nextSerial = serial;
    if (count > 0) {
      this.credit -= count;
      this.host.sendRuns(this.sub, runs);
    }
    return this.cursor !== before;
  }

  /**
   * Reads a page of decoded events from `from` and sends those the credit and the filter let
   * through, moving the cursor past what it consumed; undefined when the subscription closed
   * meanwhile.
   */
  private async sendDecodedPage(from: number, limit: number): Promise<SentPage | undefined> {
    const { selector, predicate, mode, target } = this.spec;
    let page = await readSelected(this.host.store, selector, from, 'forward', limit);
    if (this.closed) return undefined;
    const reachedEnd = page.length < limit;
    if (mode === 'cold') page = page.filter((event) => positionIn(selector, event) <= target);
    const deliverable: StoredEvent[] = [];
    let consumed = 0;
    for (const event of page) {
      // Filtered-out events are examined without credit; the first deliverable one beyond it stops.
      const passes = predicate === undefined || predicate(event);
      if (passes && deliverable.length === this.credit) break;
      this.cursor = positionIn(selector, event);
      consumed += 1;
      if (passes) deliverable.push(event);
    }
    if (deliverable.length > 0) {
      this.credit -= deliverable.length;
      this.host.sendRuns(this.sub, [{ events: deliverable, start: 0, end: deliverable.length }]);
    }
    return { length: page.length, consumed, reachedEnd };
  }

  /**
   * {@link sendDecodedPage} on the store's encoded reads, when the client takes msgpack, the
   * store offers them and nothing needs the decoded events (no filter; a stream or `$all`):
   * the stored bytes go into the frame as they are. Every event is deliverable, and the page
   * is no larger than the credit.
   */
  private encodedPageSender(): ((from: number, limit: number) => Promise<SentPage | undefined>) | undefined {
    const { store, sendEncoded } = this.host;
    const selector = this.spec.selector;
    if (sendEncoded === undefined) return undefined;
    let read: ((from: number, limit: number) => Promise<EncodedEvents>) | undefined;
    if (selector.kind === 'stream' && store.readStreamEncoded !== undefined) {
      const stream = selector.stream;
      read = (from, limit) => store.readStreamEncoded!(stream, from, limit);
    } else if (selector.kind === 'prefix' && selector.prefix === '' && store.readAllEncoded !== undefined) {
      read = (from, limit) => store.readAllEncoded!(from, limit);
    }
    if (read === undefined) return undefined;
    const { mode, target } = this.spec;
    const maxBytes = this.host.maxEventsFrameBytes ?? Number.POSITIVE_INFINITY;
    return async (from, limit) => {
      const { positions, ends, bytes } = await read(from, limit);
      if (this.closed) return undefined;
      // Positions increase: in cold mode the events up to the target are a prefix of the page.
      let length = positions.length;
      if (mode === 'cold') while (length > 0 && positions[length - 1]! > target) length -= 1;
      // Without credit the page is one event read ahead, and stays unsent.
      const count = Math.min(length, this.credit);
      let sent = 0;
      while (sent < count) {
        const upTo = sent + eventsWithin(ends, sent, count, maxBytes);
        this.cursor = positions[upTo - 1]!;
        this.credit -= upTo - sent;
        sendEncoded(this.sub, upTo - sent, bytes.subarray(sent === 0 ? 0 : ends[sent - 1], ends[upTo - 1]));
        sent = upTo;
      }
      return { length, consumed: count, reachedEnd: positions.length < limit };
    };
  }

  private reachedHead(): void {
    this.knownHead = Math.max(this.knownHead, this.cursor);
    if (this.live && !this.behind) return;
    this.live = true;
    this.behind = false;
    this.host.send({ type: 'caught-up', sub: this.sub, at: this.cursor });
  }

  private checkBehind(): void {
    if (this.behind || !this.live) return;
    if (this.knownHead - this.cursor > this.host.behindThreshold) {
      this.behind = true;
      if (this.host.tally !== undefined) this.host.tally.fellBehind += 1;
      this.host.send({ type: 'fell-behind', sub: this.sub, at: this.cursor });
    }
  }

  private complete(): void {
    const { selector, target } = this.spec;
    if (selector.kind === 'prefix') this.cursor = Math.max(this.cursor, target);
    this.host.send({ type: 'caught-up', sub: this.sub, at: this.cursor });
    this.host.send({ type: 'complete', sub: this.sub });
    this.finish();
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    if (this.host.tally !== undefined) this.host.tally.readStoreErrors += 1;
    const tauon = (this.host.errors ?? stderrInternalErrors).expose(error, 'subscription');
    this.host.send({
      type: 'error',
      sub: this.sub,
      code: tauon.code,
      message: tauon.message,
      ...(tauon.details === undefined ? {} : { details: { ...tauon.details } }),
    });
    this.finish();
  }

  private finish(): void {
    this.closed = true;
    this.host.ended(this);
  }
}

/**
 * The most bytes an `events` frame adds around its encoded events: the map header, `type`,
 * `sub` (up to a 64-bit uint) and the list header, in msgpack.
 */
export const EVENTS_FRAME_OVERHEAD = 48;

/**
 * How many of the encoded events from `from` (their ends in `ends`, before `to`) go into one
 * frame within `maxBytes`: at least one, however large.
 */
export function eventsWithin(ends: ArrayLike<number>, from: number, to: number, maxBytes: number): number {
  const start = from === 0 ? 0 : ends[from - 1]!;
  const room = maxBytes - EVENTS_FRAME_OVERHEAD;
  if (ends[to - 1]! - start <= room) return to - from;
  let count = 1;
  while (from + count < to && ends[from + count]! - start <= room) count += 1;
  return count;
}
