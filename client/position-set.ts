/**
 * A set of positions kept ascending in an array from `head`. A partition's positions come and
 * go mostly in order (added above the rest, removed from the bottom), which this makes cheap: a
 * JavaScript Set under that churn cost a group member more than the rest of its bookkeeping.
 */
export class PositionSet {
  private items: number[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  /** The lowest position, or undefined when empty. */
  get lowest(): number | undefined {
    return this.items[this.head];
  }

  has(position: number): boolean {
    return this.items[this.search(position)] === position;
  }

  /** Adds a position; false when it was in already. */
  add(position: number): boolean {
    const index = this.search(position);
    if (this.items[index] === position) return false;
    if (index === this.items.length) this.items.push(position);
    else if (index === this.head && this.head > 0) this.items[--this.head] = position;
    else this.items.splice(index, 0, position);
    return true;
  }

  /** Removes a position; false when it was not in. */
  delete(position: number): boolean {
    const index = this.search(position);
    if (this.items[index] !== position) return false;
    if (index === this.head) this.head += 1;
    else this.items.splice(index, 1);
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return true;
  }

  /** The index of the first position at or above `position` (the end when none). */
  private search(position: number): number {
    const items = this.items;
    let low = this.head;
    let high = items.length;
    // Positions come mostly in order: the ends are the common answers.
    if (high === low || (items[high - 1] as number) < position) return high;
    if ((items[low] as number) >= position) return low;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((items[middle] as number) < position) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
