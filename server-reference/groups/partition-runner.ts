import type { StoredEvent } from '../../protocol/frames.js';
import { DeliveryBook } from './delivery-book.js';
import type { LocalMember } from './local-member.js';

/** The most events read ahead for one partition and not delivered yet. */
export const PARTITION_READ_AHEAD = 512;

/**
 * One partition held by a member connected to this server, at one generation: the events read
 * for it and not delivered yet, those delivered and not acknowledged, and its checkpoint. A new
 * generation is a new runner (it starts again from the checkpoint in the group's document).
 */
export class PartitionRunner {
  /** The last position read for this partition (taken into the queue, or passed over). */
  cursor: number;
  /** Read, not delivered yet, in position order (from `queueHead`). */
  private queue: { event: StoredEvent; position: number }[] = [];
  private queueHead = 0;
  /** Delivered and not acknowledged. */
  readonly book = new DeliveryBook();
  /** Parked events delivered again (SPEC 17.10), apart from the rest: below the checkpoint. */
  readonly replays = new DeliveryBook();
  /** Parked events to deliver again, in position order. */
  replayQueue: StoredEvent[] = [];
  /** The replay request (GroupState.replay) taken up. */
  replayTaken = 0;
  revoking = false;
  stopped = false;
  /** The checkpoint last written to the group's document. */
  written: number;

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

  get hasRoom(): boolean {
    return this.queued < PARTITION_READ_AHEAD;
  }

  enqueue(event: StoredEvent, position: number): void {
    this.queue.push({ event, position });
  }

  /** Takes up to `limit` events to deliver for the first time. */
  takeQueued(limit: number): { event: StoredEvent; position: number }[] {
    const end = Math.min(this.queue.length, this.queueHead + limit);
    const taken = this.queue.slice(this.queueHead, end);
    this.queueHead = end;
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
    return this.replayQueue.length > 0 || this.replays.hasDue || this.book.hasDue || this.queued > 0;
  }
}
