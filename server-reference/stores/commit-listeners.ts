import type { StoredEvent } from '../../protocol/frames.js';

/** A function told about each commit, with the events it wrote in position order. */
export type CommitListener = (events: readonly StoredEvent[]) => void;

/**
 * The `onCommit` listeners of a store. A listener that throws does not keep the others from
 * hearing about the commit, and does not fail the append that committed: its error is reported
 * as a process warning.
 */
export class CommitListeners {
  private readonly listeners = new Set<CommitListener>();

  /** Adds a listener; the returned function removes it (calling it twice is harmless). */
  add(listener: CommitListener): () => void {
    // A wrapper per registration, so that the same function registered twice is called twice
    // and each removal removes one registration.
    const entry: CommitListener = (events) => listener(events);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** Tells every listener about `events` (nothing when there are none). */
  notify(events: readonly StoredEvent[]): void {
    if (events.length === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(events);
      } catch (error) {
        process.emitWarning(`an onCommit listener threw: ${String(error)}`, { code: 'TAUON_COMMIT_LISTENER' });
      }
    }
  }

  /** Removes every listener (when the store closes). */
  clear(): void {
    this.listeners.clear();
  }
}
