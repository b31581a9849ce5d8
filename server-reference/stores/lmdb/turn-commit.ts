import type { RootDatabase } from 'lmdb';
import { CommitDurations } from '../../metrics-commit-durations.js';

interface QueuedWrite {
  readonly write: () => unknown;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit on the event loop. The writes asked for during one turn of the event loop go
 * into one LMDB write transaction, committed when the turn's I/O has been read (setImmediate),
 * on this thread, as Redis commits with `appendfsync always`. Each write runs in a child
 * transaction of its own, so one that throws is rolled back alone and the others commit.
 *
 * lmdb-js's asynchronous transactions commit on a writer thread, at the price of two hand-offs
 * between the threads per commit; on a 2-core machine those cost more than they save: measured
 * alternately, 10 runs each, emit-to-ack p50 0.91-1.14 ms against 1.12-1.59 ms and
 * emit-to-live-subscriber p99 7.7-18.5 ms against 11.9-26.9 ms, at the same throughput. The
 * price: while a commit syncs the disk (about a quarter of a millisecond here) the event loop
 * waits, so a stalling disk stalls every connection of the server, not only its appends, and
 * reads get less of it under a heavy write load (a replay beside a producer at full speed:
 * 176-223k events/s against 227-294k, the producer 26-31k against 15-20k).
 */
export class TurnCommits {
  private queued: QueuedWrite[] = [];
  /** Told how long each commit took, its sync included (EventStore.onCommitDuration). */
  readonly durations = new CommitDurations();

  constructor(private readonly root: RootDatabase) {}

  /**
   * Runs `write` inside the turn's write transaction, after the writes asked for before it;
   * resolves with its answer once the transaction is on disk, or rejects with what it threw
   * (its writes rolled back) or with why the transaction did not commit (nothing written).
   */
  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ write, resolve: resolve as (result: unknown) => void, reject });
      if (this.queued.length === 1) setImmediate(() => this.commit());
    });
  }

  private commit(): void {
    const writes = this.queued;
    this.queued = [];
    const answers: ({ ok: true; result: unknown } | { ok: false; error: unknown })[] = [];
    const startedAt = performance.now();
    try {
      this.root.transactionSync(() => {
        for (const { write } of writes) {
          try {
            // Inside a synchronous transaction lmdb-js runs a child transaction synchronously
            // and answers the callback's own result (its declarations say a Promise).
            answers.push({ ok: true, result: this.root.childTransaction(write) });
          } catch (error) {
            answers.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const { reject } of writes) reject(error);
      return;
    }
    this.durations.since(startedAt);
    // A synchronous commit is on disk when transactionSync returns (the data file synced, then
    // the meta page written through an O_DSYNC descriptor); `flushed` then answers at once, and
    // keeps the answer honest should lmdb-js ever sync such commits later.
    this.root.flushed.then(
      () => {
        writes.forEach(({ resolve, reject }, n) => {
          const answer = answers[n]!;
          if (answer.ok) resolve(answer.result);
          else reject(answer.error);
        });
      },
      (error: unknown) => {
        for (const { reject } of writes) reject(error);
      },
    );
  }
}
