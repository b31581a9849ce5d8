import { DeliveryBook, type Outstanding } from './delivery-book.js';
import type { LocalMember } from './local-member.js';
import { partitionReadAhead } from './read-ahead-share.js';

/** The most events read ahead for one partition and not delivered yet. */
const READ_AHEAD_EVENTS = 4096;
/**
 * A partition whose member took none of its events for this long is stalled: reading passes
 * over it (and reads its events again once it moves) rather than making the others wait.
 */
const STALLED_AFTER_MS = 1_000;

/**
 * One partition held by a member connected to this server, at one generation: the events read
 * for it and not delivered yet, those delivered and not acknowledged, and its checkpoint. A new
 * generation is a new runner (it starts again from the checkpoint in the group's document).
 */
export class PartitionRunner {
  /** The last position read for this partition (taken into the queue, or passed over). */
  cursor: number;
  /** Read, not delivered yet, in position order (from `queueHead`). */
  private queue: Outstanding[] = [];
  private queueHead = 0;
  /** The bytes of the events in `queue`. */
  private queuedBytes = 0;
  /** The most bytes its queue may hold (its share of the read-ahead: read-ahead-share.ts). */
  private byteBudget = partitionReadAhead(1, 1);
  /** Delivered and not acknowledged. */
  readonly book = new DeliveryBook();
  /** Parked events delivered again (SPEC 17.10), apart from the rest: below the checkpoint. */
  readonly replays = new DeliveryBook();
  /** The replay request (GroupState.replay) taken up. */
  replayTaken = 0;
  revoking = false;
  stopped = false;
  /** The checkpoint last written to the group's document. */
  written: number;
  /** Due events not at hand are being read again (LocalGroup.readAgain). */
  readingAgain = false;
  /** When the member last took events of this partition (or the partition came here). */
  lastTaken = Date.now();

  constructor(
    readonly part: number,
    readonly gen: number,
    readonly member: LocalMember,
    checkpoint: number,
  ) {
    this.cursor = checkpoint;
    this.written = checkpoint;
  }

  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  /** Its share of the read-ahead, when `groups` groups are served here and its group holds `partitions` partitions here. */
  shareReadAhead(groups: number, partitions: number): void {
    this.byteBudget = partitionReadAhead(groups, partitions);
  }

  get hasRoom(): boolean {
    return this.roomFor(0, 0);
  }

  /**
   * Room for one more event beside `count` events of `bytes` about to be queued: while under
   * both bounds (the last event taken may pass the byte bound), so that a partition refusing an
   * event is one without room once what it was given is queued.
   */
  roomFor(count: number, bytes: number): boolean {
    return this.queued + count < READ_AHEAD_EVENTS && this.queuedBytes + bytes < this.byteBudget;
  }

  /** Low enough in read-ahead that a read for it is worth a page (reads come in pages, not an event at a time). */
  get wantsMore(): boolean {
    return this.queued <= READ_AHEAD_EVENTS / 2 && this.queuedBytes <= this.byteBudget / 2;
  }

  /** Its member took some of its events lately: a full queue of it will drain. */
  isMoving(now: number): boolean {
    return now - this.lastTaken < STALLED_AFTER_MS;
  }

  /** Full, and moving: reading waits for it rather than passing it over (and reading its events again later). */
  isDraining(now: number): boolean {
    return !this.hasRoom && this.isMoving(now);
  }

  enqueue(entry: Outstanding): void {
    this.queue.push(entry);
    this.queuedBytes += entry.end - entry.start;
  }

  /**
   * Forgets what was read ahead and not delivered (a stalled partition's, so that it holds no
   * memory), to be read again from just below it once its member takes events again.
   */
  dropReadAhead(): void {
    if (this.queued === 0) return;
    this.cursor = this.queue[this.queueHead]!.position - 1;
    this.queue = [];
    this.queueHead = 0;
    this.queuedBytes = 0;
  }

  /** Takes up to `limit` events to deliver for the first time. */
  takeQueued(limit: number, now: number): Outstanding[] {
    const end = Math.min(this.queue.length, this.queueHead + limit);
    const taken = this.queue.slice(this.queueHead, end);
    this.queueHead = end;
    for (const entry of taken) this.queuedBytes -= entry.end - entry.start;
    if (taken.length > 0) this.lastTaken = now;
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    return taken;
  }

  /**
   * Every event of the partition at or below the checkpoint is acknowledged or parked: just below
   * the oldest delivered and not acknowledged, else below the oldest read and not delivered, else
   * as far as reading has gone.
   */
  checkpoint(): number {
    const oldest = this.book.oldest;
    if (oldest !== undefined) return oldest - 1;
    if (this.queued > 0) return this.queue[this.queueHead]!.position - 1;
    return this.cursor;
  }

  /** True when nothing of the partition is with the member: a revoking partition can be released. */
  get idle(): boolean {
    return this.book.size === 0 && this.replays.size === 0;
  }

  /**
   * Something to deliver now: replays and redeliveries first, then new events. Nothing while
   * revoking: the owner finishes what it has, and what fails goes to the next owner.
   */
  get deliverable(): boolean {
    if (this.stopped || this.revoking) return false;
    return this.replays.hasDue || this.book.hasDue || this.queued > 0;
  }
}
