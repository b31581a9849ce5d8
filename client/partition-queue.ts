import type { StoredEvent } from '../protocol/frames.js';

/** An event of a partition that was delivered to the member and not handed out yet. */
export interface QueuedEvent {
  readonly event: StoredEvent;
  /** Its position in the group's selector: the seq for one stream, the store-wide pos otherwise. */
  readonly position: number;
  /** How many times the server has delivered it (1 the first time). */
  deliveries: number;
}

/**
 * The events of one partition waiting to be handed out, in position order, each position once.
 * The server sends a partition's events in order, but a redelivery (after a nack or an ack
 * timeout) or a replay of parked events comes back below what is queued: it goes in at its place,
 * so that a partition is always handed out lowest position first. A redelivery of an event that
 * is still queued only raises its delivery count.
 */
export class PartitionQueue {
  /** Ascending by position; `items[head]` is the lowest. */
  private items: QueuedEvent[] = [];
  private head = 0;

  /** How many events are queued. */
  get length(): number {
    return this.items.length - this.head;
  }

  /**
   * Queues an event at its place. Returns false (and queues nothing) when its position is queued
   * already; that one's delivery count becomes the larger of the two.
   */
  offer(event: StoredEvent, position: number, deliveries: number): boolean {
    const index = this.search(position);
    const found = this.items[index];
    if (found !== undefined && found.position === position) {
      found.deliveries = Math.max(found.deliveries, deliveries);
      return false;
    }
    const item: QueuedEvent = { event, position, deliveries };
    if (index === this.items.length) this.items.push(item);
    else this.items.splice(index, 0, item);
    return true;
  }

  /** True when an event at `position` is queued. */
  has(position: number): boolean {
    return this.items[this.search(position)]?.position === position;
  }

  /** The lowest queued event, left in place. */
  peek(): QueuedEvent | undefined {
    return this.items[this.head];
  }

  /** Removes and returns the lowest queued event. */
  shift(): QueuedEvent | undefined {
    const item = this.items[this.head];
    if (item === undefined) return undefined;
    this.head += 1;
    if (this.head === this.items.length) this.clear();
    else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes the event at `position`; false when none was queued. */
  remove(position: number): boolean {
    const index = this.search(position);
    if (this.items[index]?.position !== position) return false;
    this.items.splice(index, 1);
    if (this.head === this.items.length) this.clear();
    return true;
  }

  /** Removes everything; returns how many events were dropped. */
  clear(): number {
    const dropped = this.length;
    this.items = [];
    this.head = 0;
    return dropped;
  }

  /** The queued positions, lowest first (a copy). */
  positions(): number[] {
    return this.items.slice(this.head).map((item) => item.position);
  }

  /** The index of the first queued item at or above `position` (the end when none). */
  private search(position: number): number {
    let low = this.head;
    let high = this.items.length;
    // Deliveries mostly come in order: the end is the common answer.
    const last = this.items[high - 1];
    if (last === undefined || last.position < position) return high;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.items[middle] as QueuedEvent).position < position) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
