/**
 * The store's clock for `recorded`: wall-clock milliseconds that never go backwards, so that
 * `recorded` is non-decreasing store-wide even when the system clock steps back (and a binary
 * search by time over positions stays valid).
 */
export class StoreClock {
  private last: number;

  /** @param last the newest `recorded` already stored (0 for an empty store). */
  constructor(last = 0) {
    this.last = last;
  }

  /** The current time, or the last time handed out if the wall clock is behind it. */
  now(): number {
    const wall = Date.now();
    if (wall > this.last) this.last = wall;
    return this.last;
  }
}
