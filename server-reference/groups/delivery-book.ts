import type { StoredEvent } from '../../protocol/frames.js';

/** One delivered event a member has not acknowledged yet. */
export interface Outstanding {
  readonly position: number;
  readonly event: StoredEvent;
  /** How many times it has been delivered. */
  deliveries: number;
  /**
   * `out`: with the member; `waiting`: nacked, delivered again at `retryAt`; `due`: to be
   * delivered again as soon as the member has credit; `parking`: being parked.
   */
  state: 'out' | 'waiting' | 'due' | 'parking';
  retryAt: number;
}

/**
 * The events of one partition delivered to its owner and not acknowledged, in position order
 * (they are entered in that order: a Map keeps it), with the ack timer of the oldest (SPEC 17.9:
 * only the oldest of a partition is timed, from when it became the oldest, so that events
 * waiting behind a slow one in the member's queue are not counted as failed deliveries).
 */
export class DeliveryBook {
  private readonly entries = new Map<number, Outstanding>();
  /** Positions to deliver again, in order. */
  private dueList: number[] = [];
  /** When the oldest entry became the oldest. */
  private oldestSince = 0;

  get size(): number {
    return this.entries.size;
  }

  get hasDue(): boolean {
    return this.dueList.length > 0;
  }

  /** The position of the oldest entry, or undefined when none is outstanding. */
  get oldest(): number | undefined {
    for (const position of this.entries.keys()) return position;
    return undefined;
  }

  get(position: number): Outstanding | undefined {
    return this.entries.get(position);
  }

  /** Entries at or below `upTo`, oldest first. */
  upTo(upTo: number): Outstanding[] {
    const found: Outstanding[] = [];
    for (const entry of this.entries.values()) {
      if (entry.position > upTo) break;
      found.push(entry);
    }
    return found;
  }

  /** A first delivery, above every position entered so far. */
  delivered(event: StoredEvent, position: number, now: number): void {
    if (this.entries.size === 0) this.oldestSince = now;
    this.entries.set(position, { position, event, deliveries: 1, state: 'out', retryAt: 0 });
  }

  /** Forgets an entry (acknowledged or parked). */
  remove(position: number, now: number): Outstanding | undefined {
    const entry = this.entries.get(position);
    if (entry === undefined) return undefined;
    const wasOldest = this.oldest === position;
    this.entries.delete(position);
    if (entry.state === 'due') this.dueList = this.dueList.filter((due) => due !== position);
    if (wasOldest) this.oldestSince = now;
    return entry;
  }

  /** Marks an entry to be delivered again (now, or at `retryAt` when later). */
  retry(entry: Outstanding, retryAt: number, now: number): void {
    if (entry.state === 'due') return;
    if (retryAt > now) {
      entry.state = 'waiting';
      entry.retryAt = retryAt;
      return;
    }
    this.makeDue(entry);
  }

  /** Takes up to `limit` due entries, oldest first, as delivered again. */
  takeDue(limit: number, now: number): Outstanding[] {
    const taken = this.dueList.splice(0, limit).map((position) => this.entries.get(position)!);
    for (const entry of taken) {
      entry.state = 'out';
      entry.deliveries += 1;
      if (this.oldest === entry.position) this.oldestSince = now;
    }
    return taken;
  }

  /**
   * Moves waiting entries whose time came to due, and returns the oldest entry when it is out
   * with the member for longer than `ackTimeoutMs` (timed out), else undefined.
   */
  tick(now: number, ackTimeoutMs: number): Outstanding | undefined {
    for (const entry of this.entries.values()) {
      if (entry.state === 'waiting' && entry.retryAt <= now) this.makeDue(entry);
    }
    for (const entry of this.entries.values()) {
      return entry.state === 'out' && now - this.oldestSince >= ackTimeoutMs ? entry : undefined;
    }
    return undefined;
  }

  /** Every entry, oldest first. */
  all(): IterableIterator<Outstanding> {
    return this.entries.values();
  }

  private makeDue(entry: Outstanding): void {
    entry.state = 'due';
    let index = this.dueList.length;
    while (index > 0 && this.dueList[index - 1]! > entry.position) index -= 1;
    this.dueList.splice(index, 0, entry.position);
  }
}
