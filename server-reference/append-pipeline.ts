import { ChainBrokenError, TauonError } from '../protocol/errors.js';
import type { AppendFrame, InvalidateFrame, ServerFrame, ServerLimits } from '../protocol/frames.js';
import { appendedFrame, toAppendRequest } from './append-request.js';
import { invalidationRequest } from './invalidation.js';
import type { AppendRequest, EventStore } from './stores/event-store.js';

/** An append that failed before it could be applied (a bad frame): it still breaks its chain, in order. */
interface RejectedAppend {
  readonly type: 'rejected';
  readonly id: number;
  readonly stream: string;
  readonly error: TauonError;
}

type Item = AppendFrame | InvalidateFrame | RejectedAppend;

/**
 * One connection's writes, applied in the order received. Frames that arrive while a batch is
 * committing form the next batch: one store call, so the store can write them in one
 * transaction (group commit). Once a write to a stream fails, later writes to it on this
 * connection fail with `chain-broken` until one comes with `newChain`.
 */
export class AppendPipeline {
  private queue: Item[] = [];
  private running = false;
  private readonly broken = new Set<string>();
  private idle: Promise<void> = Promise.resolve();
  private settleIdle: (() => void) | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly limits: ServerLimits,
    private readonly reply: (frame: ServerFrame) => void,
  ) {}

  push(item: AppendFrame | InvalidateFrame): void {
    this.enqueue(item);
  }

  /** Answers a write that could not be parsed, in its place in the order, and breaks its stream's chain. */
  reject(id: number, stream: string, error: TauonError): void {
    this.enqueue({ type: 'rejected', id, stream, error });
  }

  private enqueue(item: Item): void {
    this.queue.push(item);
    if (!this.running) {
      this.running = true;
      this.idle = new Promise((resolve) => (this.settleIdle = resolve));
      void this.drain();
    }
  }

  /** Settles when every write received so far has been answered. */
  whenIdle(): Promise<void> {
    return this.idle;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      // An invalidation checks the stream's transactions, so everything before it must have
      // committed first: it ends a batch and runs alone.
      const head = this.queue[0]!;
      const cut = head.type === 'invalidate' ? 1 : this.queue.findIndex((item) => item.type === 'invalidate');
      const batch = this.queue.splice(0, cut === -1 ? this.queue.length : cut);
      try {
        await this.apply(batch);
      } catch (error) {
        // A failure of the store as a whole: answer every write of the batch, lose none silently.
        const failure = error instanceof TauonError ? error : new TauonError('internal', 'the store failed', { cause: error });
        for (const item of batch) {
          this.broken.add(item.stream);
          this.reply({ type: 'error', id: item.id, code: failure.code, message: failure.message });
        }
      }
    }
    this.running = false;
    this.settleIdle?.();
  }

  private async apply(batch: Item[]): Promise<void> {
    const requests: AppendRequest[] = [];
    const sent: Item[] = [];
    const answers: (ServerFrame | undefined)[] = [];
    for (const item of batch) {
      if (item.type === 'rejected') {
        this.broken.add(item.stream);
        answers.push(errorFrame(item.id, item.error));
        continue;
      }
      if (this.broken.has(item.stream) && !(item.type === 'append' && item.newChain === true)) {
        answers.push(errorFrame(item.id, new ChainBrokenError(item.stream)));
        continue;
      }
      this.broken.delete(item.stream);
      try {
        requests.push(
          item.type === 'append' ? toAppendRequest(item, this.limits) : await invalidationRequest(this.store, item),
        );
        sent.push(item);
        answers.push(undefined);
      } catch (error) {
        this.broken.add(item.stream);
        answers.push(errorFrame(item.id, asTauonError(error)));
      }
    }
    const outcomes = requests.length === 0 ? [] : await this.store.append(requests);
    let next = 0;
    for (const answer of answers) {
      if (answer !== undefined) {
        this.reply(answer);
        continue;
      }
      const item = sent[next]!;
      const outcome = outcomes[next]!;
      next += 1;
      if (outcome.ok) {
        this.reply(appendedFrame(item.id, item.stream, outcome));
      } else {
        this.broken.add(item.stream);
        this.reply(errorFrame(item.id, outcome.error));
      }
    }
  }
}

function asTauonError(error: unknown): TauonError {
  return error instanceof TauonError ? error : new TauonError('internal', String(error), { cause: error });
}

function errorFrame(id: number, error: TauonError): ServerFrame {
  return {
    type: 'error',
    id,
    code: error.code,
    message: error.message,
    ...(error.details === undefined ? {} : { details: { ...error.details } }),
  };
}
