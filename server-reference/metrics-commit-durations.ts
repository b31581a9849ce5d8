/** A function told how long a store's commit took to become durable, in seconds. */
export type CommitDurationListener = (seconds: number) => void;

/**
 * The `onCommitDuration` listeners of a store (EventStore.onCommitDuration), for the server's
 * commit time histogram. A listener that throws keeps neither the others nor the commit from
 * going on.
 */
export class CommitDurations {
  private readonly listeners = new Set<CommitDurationListener>();

  /** Adds a listener; the returned function removes it (calling it twice is harmless). */
  add(listener: CommitDurationListener): () => void {
    const entry: CommitDurationListener = (seconds) => listener(seconds);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** Whether anyone listens: a store may then skip reading the clock. */
  get listening(): boolean {
    return this.listeners.size > 0;
  }

  /** Tells every listener that a commit begun at `startedAt` (performance.now()) is durable now. */
  since(startedAt: number): void {
    if (this.listeners.size === 0) return;
    const seconds = (performance.now() - startedAt) / 1000;
    for (const listener of this.listeners) {
      try {
        listener(seconds);
      } catch {
        // A metrics listener must never fail a commit.
      }
    }
  }
}
