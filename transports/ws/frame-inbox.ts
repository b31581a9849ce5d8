/**
 * Holds the frames a socket receives until the connection's one handler is set, then hands them
 * over in order. Runtime-neutral: shared by the ws server's and the client's connections.
 */
export class FrameInbox {
  #handler: ((frame: Uint8Array) => void) | undefined;
  #held: Uint8Array[] = [];
  #flushScheduled = false;
  #stopped = false;

  /** Passes a received frame to the handler, or holds it until there is one. */
  deliver(frame: Uint8Array): void {
    if (this.#stopped) return;
    // While held frames wait for their flush, later frames queue behind them to keep the order.
    if (this.#handler === undefined || this.#held.length > 0) {
      this.#held.push(frame);
      return;
    }
    this.#handler(frame);
  }

  /**
   * Sets (or replaces) the handler. Held frames are handed to it in a later microtask, so the
   * handler never runs inside the `onFrame` call that sets it.
   */
  setHandler(handler: (frame: Uint8Array) => void): void {
    this.#handler = handler;
    if (this.#held.length === 0 || this.#flushScheduled || this.#stopped) return;
    this.#flushScheduled = true;
    queueMicrotask(() => this.#flush());
  }

  /** Drops held frames and ignores every later one (this side closed the connection). */
  stop(): void {
    this.#stopped = true;
    this.#held = [];
  }

  #flush(): void {
    this.#flushScheduled = false;
    while (this.#held.length > 0 && !this.#stopped && this.#handler !== undefined) {
      const batch = this.#held;
      this.#held = [];
      for (let index = 0; index < batch.length; index++) {
        if (this.#stopped) return;
        try {
          this.#handler(batch[index]!);
        } catch (error) {
          // Surfaces like a throw from a socket listener, without losing the frames after it.
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    }
  }
}
