/** One event of a partition read for its owner: queued, then delivered and not acknowledged yet. */
export interface Outstanding {
  readonly position: number;
  /**
   * The event's msgpack encoding (the wire's) is `chunk[start, end)`, spliced into `deliver`
   * frames; undefined once delivered (unacknowledged events hold no memory of their own: one
   * delivered again is read again).
   */
  chunk: Uint8Array | undefined;
  start: number;
  end: number;
  /** How many times it has been delivered. */
  deliveries: number;
  /**
   * `out`: with the member; `waiting`: nacked, delivered again at `retryAt`; `due`: to be
   * delivered again as soon as the member has credit; `parking`: being parked; `settled`:
   * acknowledged or parked, no longer in the book.
   */
  state: 'out' | 'waiting' | 'due' | 'parking' | 'settled';
  retryAt: number;
}

/** A new entry for an event read and not delivered yet (its encoding `chunk[start, end)`, or none yet). */
export function outstanding(position: number, chunk: Uint8Array | undefined, start: number, end: number): Outstanding {
  return { position, chunk, start, end, deliveries: 0, state: 'out', retryAt: 0 };
}

/**
 * The events of one partition delivered to its owner and not acknowledged, in position order
 * (they are entered in that order), with the ack timer of the oldest (SPEC 17.9: only the oldest
 * of a partition is timed, from when it became the oldest, so that events waiting behind a slow
 * one in the member's queue are not counted as failed deliveries). An array from `head`, found by
 * binary search: acks mostly settle the oldest, and a member may have 100,000 out.
 */
export class DeliveryBook {
  private entries: Outstanding[] = [];
  private head = 0;
  private count = 0;
  private waiting = 0;
  /** Positions to deliver again, in order. */
  private dueList: number[] = [];
  /** When the oldest entry became the oldest. */
  private oldestSince = 0;

  get size(): number {
    return this.count;
  }

  get hasDue(): boolean {
    return this.dueList.length > 0;
  }

  /** The position of the oldest entry, or undefined when none is outstanding. */
  get oldest(): number | undefined {
    return this.count === 0 ? undefined : this.entries[this.head]!.position;
  }

  get(position: number): Outstanding | undefined {
    const index = this.indexOf(position);
    return index < 0 ? undefined : this.entries[index];
  }

  /** Entries at or below `upTo`, oldest first. */
  upTo(upTo: number): Outstanding[] {
    const found: Outstanding[] = [];
    for (let index = this.head; index < this.entries.length; index += 1) {
      const entry = this.entries[index]!;
      if (entry.position > upTo) break;
      if (entry.state !== 'settled') found.push(entry);
    }
    return found;
  }

  /** A first delivery, above every position entered so far. */
  delivered(entry: Outstanding, now: number): void {
    if (this.count === 0) {
      this.oldestSince = now;
      this.entries = [];
      this.head = 0;
    }
    entry.deliveries = 1;
    entry.state = 'out';
    this.entries.push(entry);
    this.count += 1;
  }

  /** An event to deliver for the first time in this book (a parked one replayed), above every position entered so far: due at once. */
  queueDue(entry: Outstanding, now: number): void {
    this.delivered(entry, now);
    entry.deliveries = 0;
    this.makeDue(entry);
  }

  /** Forgets an entry (acknowledged or parked). */
  remove(position: number, now: number): Outstanding | undefined {
    const index = this.indexOf(position);
    if (index < 0) return undefined;
    const entry = this.entries[index]!;
    if (entry.state === 'due') this.dueList = this.dueList.filter((due) => due !== position);
    if (entry.state === 'waiting') this.waiting -= 1;
    entry.state = 'settled';
    this.count -= 1;
    if (index === this.head) {
      this.oldestSince = now;
      this.skipSettled();
    }
    return entry;
  }

  /** Marks an entry to be delivered again (now, or at `retryAt` when later). */
  retry(entry: Outstanding, retryAt: number, now: number): void {
    if (entry.state === 'due' || entry.state === 'settled') return;
    if (retryAt > now) {
      if (entry.state !== 'waiting') this.waiting += 1;
      entry.state = 'waiting';
      entry.retryAt = retryAt;
      return;
    }
    this.makeDue(entry);
  }

  /** The due entries, oldest first. */
  due(): Outstanding[] {
    return this.dueList.map((position) => this.get(position)!);
  }

  /** Takes up to `limit` due entries whose encoding is at hand, oldest first, as delivered again. */
  takeDue(limit: number, now: number): Outstanding[] {
    let ready = 0;
    while (ready < Math.min(limit, this.dueList.length) && this.get(this.dueList[ready]!)!.chunk !== undefined) ready += 1;
    const taken = this.dueList.splice(0, ready).map((position) => this.get(position)!);
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
    if (this.waiting > 0) {
      for (let index = this.head; index < this.entries.length; index += 1) {
        const entry = this.entries[index]!;
        if (entry.state === 'waiting' && entry.retryAt <= now) this.makeDue(entry);
      }
    }
    if (this.count === 0) return undefined;
    const oldest = this.entries[this.head]!;
    return oldest.state === 'out' && now - this.oldestSince >= ackTimeoutMs ? oldest : undefined;
  }

  private makeDue(entry: Outstanding): void {
    if (entry.state === 'waiting') this.waiting -= 1;
    entry.state = 'due';
    let index = this.dueList.length;
    while (index > 0 && this.dueList[index - 1]! > entry.position) index -= 1;
    this.dueList.splice(index, 0, entry.position);
  }

  /** The index of the unsettled entry at `position`, or -1. */
  private indexOf(position: number): number {
    const entries = this.entries;
    let low = this.head;
    let high = entries.length - 1;
    // Acks come mostly oldest first.
    if (low <= high && entries[low]!.position === position) return entries[low]!.state === 'settled' ? -1 : low;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const at = entries[middle]!.position;
      if (at === position) return entries[middle]!.state === 'settled' ? -1 : middle;
      if (at < position) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }

  /** Moves `head` past settled entries, and drops them once they are the larger part. */
  private skipSettled(): void {
    while (this.head < this.entries.length && this.entries[this.head]!.state === 'settled') this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
