/**
 * A first-in first-out queue with O(1) push and shift. `Array.prototype.shift` moves every
 * remaining element, which turns draining a full credit window into quadratic work.
 */
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  /** How many items are queued. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Adds an item at the back. */
  push(item: T): void {
    this.items.push(item);
  }

  /** The front item, left in place; undefined when empty. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** Removes and returns the front item; undefined when empty. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    // Drop the reference so a delivered item can be collected before the queue is compacted.
    (this.items as (T | undefined)[])[this.head] = undefined;
    this.head += 1;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Removes every item. */
  clear(): void {
    this.items = [];
    this.head = 0;
  }

  /** The queued items, front first (a copy). */
  toArray(): T[] {
    return this.items.slice(this.head);
  }
}
