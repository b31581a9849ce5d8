import { TauonError } from '../../protocol/errors.js';

/** The most reads waiting on one projection's checkpoint at once (`get` with `atLeast`): each holds a timer. */
export const MAX_CHECKPOINT_WAITERS = 10_000;

interface Waiter {
  readonly atLeast: number;
  readonly resolve: () => void;
  readonly reject: (error: TauonError) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * The reads that wait for a projection's checkpoint to reach a position (read-your-writes), each
 * until its timeout. Bounded in number; nothing else is held for them.
 */
export class CheckpointWaiters {
  private readonly waiting = new Set<Waiter>();

  constructor(private readonly name: string) {}

  /** How many reads wait. */
  get count(): number {
    return this.waiting.size;
  }

  /**
   * Resolves once {@link reached} tells of a checkpoint at or past `atLeast`; fails `timeout`
   * (details `{checkpoint}`, as `checkpointNow` then says) after `timeoutMs`.
   * @throws TauonError `limit` when too many reads wait already.
   */
  wait(atLeast: number, timeoutMs: number, checkpointNow: () => number): Promise<void> {
    if (this.waiting.size >= MAX_CHECKPOINT_WAITERS) {
      return Promise.reject(new TauonError('limit', `${MAX_CHECKPOINT_WAITERS} reads wait on projection "${this.name}" already; try again later`));
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        atLeast,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiting.delete(waiter);
          const checkpoint = checkpointNow();
          reject(
            new TauonError('timeout', `projection "${this.name}" did not reach position ${atLeast} within ${timeoutMs} ms (its checkpoint is ${checkpoint})`, {
              details: { checkpoint },
            }),
          );
        }, timeoutMs),
      };
      this.waiting.add(waiter);
    });
  }

  /** The projection committed up to `checkpoint`: the reads waiting for it or less go on. */
  reached(checkpoint: number): void {
    for (const waiter of this.waiting) {
      if (waiter.atLeast > checkpoint) continue;
      this.settle(waiter);
      waiter.resolve();
    }
  }

  /** Fails every read waiting for more than `checkpoint` with `error` (the projection stopped there). */
  failBeyond(checkpoint: number, error: (atLeast: number) => TauonError): void {
    for (const waiter of this.waiting) {
      if (waiter.atLeast <= checkpoint) continue;
      this.settle(waiter);
      waiter.reject(error(waiter.atLeast));
    }
  }

  private settle(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    this.waiting.delete(waiter);
  }
}
