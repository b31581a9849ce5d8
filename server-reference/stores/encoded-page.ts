import type { EncodedEvents } from './event-store.js';

/** Room for this many bytes per expected event at first; the buffer doubles when it runs out. */
const BYTES_PER_EVENT_GUESS = 320;

/**
 * Collects a page of encoded events into one growing buffer, copying each value as it is read
 * (so a store may pass a buffer it reuses, such as the one lmdb-js reads values into).
 */
export class EncodedPage {
  private bytes: Uint8Array;
  private length = 0;
  private readonly positions: number[] = [];
  private readonly ends: number[] = [];

  /** `expectedEvents`: how many events the page will likely hold (the read's limit). */
  constructor(expectedEvents: number) {
    this.bytes = new Uint8Array(Math.max(1, Math.min(expectedEvents, 10_000)) * BYTES_PER_EVENT_GUESS);
  }

  /** Appends one event's encoding; an undefined value (a missing event) is skipped. */
  add(position: number, value: Uint8Array | undefined): void {
    if (value === undefined) return;
    // lmdb's fast buffers carry their size in `length`, not in the view's byte length.
    const size = value.length;
    if (this.length + size > this.bytes.length) this.grow(this.length + size);
    this.bytes.set(value.length === value.byteLength ? value : value.subarray(0, size), this.length);
    this.length += size;
    this.positions.push(position);
    this.ends.push(this.length);
  }

  done(): EncodedEvents {
    return { positions: this.positions, ends: this.ends, bytes: this.bytes.subarray(0, this.length) };
  }

  private grow(needed: number): void {
    let capacity = Math.max(this.bytes.length * 2, BYTES_PER_EVENT_GUESS);
    while (capacity < needed) capacity *= 2;
    const larger = new Uint8Array(capacity);
    larger.set(this.bytes.subarray(0, this.length));
    this.bytes = larger;
  }
}
