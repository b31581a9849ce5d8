import { ChainBrokenError, TauonError } from '../protocol/errors.js';
import type { AppendFrame, InvalidateFrame, ServerFrame, ServerLimits } from '../protocol/frames.js';
import { appendedFrame, toAppendRequest } from './append-request.js';
import { stderrInternalErrors, type InternalErrors } from './internal-errors.js';
import { invalidationRequest } from './invalidation.js';
import type { MetricsTally } from './metrics-tally.js';
import type { AppendHooks, AppendOutcome, AppendRequest, EventStore } from './stores/event-store.js';

/** An append that failed before it could be applied (a bad frame): it still breaks its chain, in order. */
interface RejectedAppend {
  readonly type: 'rejected';
  readonly id: number;
  readonly stream: string;
  readonly error: TauonError;
}

type Item = AppendFrame | InvalidateFrame | RejectedAppend;

/** A store call in flight whose outcomes are not decided yet. */
interface PendingCall {
  readonly sent: readonly Item[];
}

/**
 * One connection's writes, applied in the order received, each answered in that order once it
 * is durable. Once a write to a stream fails, later writes to it on this connection fail with
 * `chain-broken` until one comes with `newChain`.
 *
 * On a store that decides its calls in order (EventStore.decidesAppendsInOrder), appends go to
 * the store as they arrive, while earlier ones are still committing (the store groups what
 * arrives during a commit into the next one), and the chain rule is applied as the store
 * decides each request (AppendHooks). On other stores, frames that arrive while a batch is
 * being written form the next batch: one store call once the previous one settled.
 * Invalidations and writes that fail before reaching the store (bad frames, limits) wait for
 * every write before them to settle, so that the chain they break or check is final.
 */
export class AppendPipeline {
  private queue: Item[] = [];
  private running = false;
  private readonly broken = new Set<string>();
  /** Calls handed to the store and not decided yet, oldest first. */
  private readonly undecided: PendingCall[] = [];
  /** Settles once every answer queued so far has been sent, in order. */
  private answered: Promise<void> = Promise.resolve();
  /** Settles once the running drain has handed every queued write to the store. */
  private drained: Promise<void> = Promise.resolve();
  private settleDrained: (() => void) | undefined;
  /** Writes received, and writes answered, since the connection opened. */
  private receivedCount = 0;
  private answeredCount = 0;
  /** Who waits for the writes received up to `upTo` to be answered, in the order they asked. */
  private readonly answerWaiters: { readonly upTo: number; readonly resolve: () => void }[] = [];
  /** The store checks append conditions (SPEC 5.8.1); otherwise an append with one is `unsupported`. */
  private readonly checksConditions: boolean;

  constructor(
    private readonly store: EventStore,
    private readonly limits: ServerLimits,
    private readonly reply: (frame: ServerFrame) => void,
    /** Turns failures into what the client may be told, logging internal ones. */
    private readonly errors: InternalErrors = stderrInternalErrors,
    /** Where appends, their failures and the store calls' durations are counted (the server's metrics). */
    private readonly tally?: MetricsTally,
  ) {
    this.checksConditions = store.checksAppendConditions === true;
  }

  push(item: AppendFrame | InvalidateFrame): void {
    this.enqueue(item);
  }

  /** Answers a write that could not be parsed, in its place in the order, and breaks its stream's chain. */
  reject(id: number, stream: string, error: TauonError): void {
    this.enqueue({ type: 'rejected', id, stream, error });
  }

  /**
   * Read-your-writes (SPEC 6.3): settles once every write received so far has been answered
   * (decided, and its answer sent); undefined when none is waiting for its answer, so that a
   * query on a quiet connection does not wait at all.
   */
  writesReceivedSoFar(): Promise<void> | undefined {
    if (this.answeredCount === this.receivedCount) return undefined;
    const upTo = this.receivedCount;
    return new Promise((resolve) => this.answerWaiters.push({ upTo, resolve }));
  }

  /** Settles when every write received so far has been answered. */
  async whenIdle(): Promise<void> {
    await this.drained;
    await this.answered;
  }

  private enqueue(item: Item): void {
    this.receivedCount += 1;
    this.queue.push(item);
    if (!this.running) {
      this.running = true;
      this.drained = new Promise((resolve) => (this.settleDrained = resolve));
      void this.drain();
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, nextBatchLength(this.queue));
      const plain = this.store.decidesAppendsInOrder === true ? plainAppends(batch, this.limits, this.checksConditions) : undefined;
      if (plain !== undefined) this.submitInOrder(plain.frames, plain.requests);
      else await this.submitSettled(batch);
    }
    this.running = false;
    this.settleDrained?.();
  }

  /** Hands plain appends to the store at once; the chain rule is applied as the store decides them. */
  private submitInOrder(batch: readonly AppendFrame[], requests: AppendRequest[]): void {
    const call: PendingCall = { sent: batch };
    this.undecided.push(call);
    const refuse = (index: number): TauonError | undefined => {
      // Calls are decided in order: one before this that is still undecided failed as a whole.
      if (index === 0) while (this.undecided[0] !== call) this.breakAll(this.undecided.shift()!.sent);
      return this.chainRefusal(batch[index]!);
    };
    const onDecided = (outcomes: readonly AppendOutcome[]): void => {
      if (this.undecided[0] === call) this.undecided.shift();
      this.breakFailed(batch, outcomes);
    };
    const settled = this.callStore(requests, { refuse, onDecided });
    this.queueAnswers(settled.then(
      (outcomes) => () => this.sendOutcomes(batch, outcomes),
      (error: unknown) => {
        const index = this.undecided.indexOf(call);
        if (index >= 0) this.undecided.splice(index, 1);
        const failed = this.failedCall(batch, error);
        return () => this.sendOutcomes(batch, failed);
      },
    ));
  }

  /**
   * Waits for every earlier write to settle, applies the chain rule and the checks made before
   * the store, then writes the rest as one call and waits for it to settle.
   */
  private async submitSettled(batch: readonly Item[]): Promise<void> {
    await this.answered;
    const requests: AppendRequest[] = [];
    const sent: Item[] = [];
    const answers: (ServerFrame | undefined)[] = [];
    for (const item of batch) {
      if (item.type === 'rejected') {
        this.broken.add(item.stream);
        answers.push(this.errorFrame(item.id, item.error));
        continue;
      }
      const refusal = this.chainRefusal(item);
      if (refusal !== undefined) {
        answers.push(this.errorFrame(item.id, refusal));
        continue;
      }
      try {
        requests.push(
          item.type === 'append' ? toAppendRequest(item, this.limits, this.checksConditions) : await invalidationRequest(this.store, item),
        );
        sent.push(item);
        answers.push(undefined);
      } catch (error) {
        this.broken.add(item.stream);
        answers.push(this.errorFrame(item.id, asTauonError(error)));
      }
    }
    const outcomes =
      requests.length === 0
        ? []
        : await this.callStore(requests, {}).then(
            (result) => {
              this.breakFailed(sent, result);
              return result;
            },
            (error: unknown) => this.failedCall(sent, error),
          );
    this.queueAnswers(
      Promise.resolve(() => {
        let next = 0;
        for (const answer of answers) {
          if (answer !== undefined) this.answer(answer);
          else this.sendOutcome(sent[next]!, outcomes[next++]!);
        }
      }),
    );
    await this.answered;
  }

  /** The store's `append`, a synchronous throw turned into a rejection. */
  private callStore(requests: AppendRequest[], hooks: AppendHooks): Promise<readonly AppendOutcome[]> {
    const startedAt = performance.now();
    let call: Promise<readonly AppendOutcome[]>;
    try {
      call = this.store.append(requests, hooks);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const tally = this.tally;
    if (tally !== undefined) {
      // One observation per store call (a batch), never per event.
      const observe = (): void => tally.appendDuration((performance.now() - startedAt) / 1000);
      void call.then(observe, observe);
    }
    return call;
  }

  /** Sends the answers `send` makes once every answer queued before them has gone out. */
  private queueAnswers(send: Promise<() => void>): void {
    this.answered = Promise.all([this.answered, send]).then(([, answer]) => answer());
  }

  private breakFailed(sent: readonly Item[], outcomes: readonly AppendOutcome[]): void {
    outcomes.forEach((outcome, index) => {
      if (!outcome.ok) this.broken.add(sent[index]!.stream);
    });
  }

  private breakAll(sent: readonly Item[]): void {
    for (const item of sent) this.broken.add(item.stream);
  }

  /**
   * The chain rule for a write about to go to the store: `chain-broken` while its stream's chain
   * is broken, unless it starts a new one (which mends it).
   */
  private chainRefusal(item: AppendFrame | InvalidateFrame): TauonError | undefined {
    if (this.broken.has(item.stream) && !(item.type === 'append' && item.newChain === true)) return new ChainBrokenError(item.stream);
    this.broken.delete(item.stream);
    return undefined;
  }

  /**
   * A failure of the store as a whole: every write of the call breaks its chain and is answered
   * with the failure (none lost silently).
   */
  private failedCall(sent: readonly Item[], error: unknown): AppendOutcome[] {
    const failure = error instanceof TauonError ? error : new TauonError('internal', 'the store failed', { cause: error });
    if (this.tally !== undefined) this.tally.appendStoreErrors += 1;
    this.breakAll(sent);
    return sent.map(() => ({ ok: false, error: failure }));
  }

  private sendOutcomes(sent: readonly Item[], outcomes: readonly AppendOutcome[]): void {
    outcomes.forEach((outcome, index) => this.sendOutcome(sent[index]!, outcome));
  }

  private sendOutcome(item: Item, outcome: AppendOutcome): void {
    if (outcome.ok && this.tally !== undefined) this.tally.eventsAppended += outcome.written.length;
    this.answer(outcome.ok ? appendedFrame(item.id, item.stream, outcome) : this.errorFrame(item.id, outcome.error));
  }

  /** Sends a write's answer (each write gets one, in order), then wakes the queries that waited for it. */
  private answer(frame: ServerFrame): void {
    if (this.tally !== undefined) {
      if (frame.type === 'appended') this.tally.appendsSucceeded += 1;
      else this.tally.appendsFailed += 1;
    }
    try {
      this.reply(frame);
    } finally {
      this.answeredCount += 1;
      while (this.answerWaiters.length > 0 && this.answerWaiters[0]!.upTo <= this.answeredCount) this.answerWaiters.shift()!.resolve();
    }
  }

  /** The `error` answer of a write; an internal failure is told with an id and logged once. */
  private errorFrame(id: number, error: TauonError): ServerFrame {
    return errorFrame(id, this.errors.expose(error, 'append'));
  }
}

/**
 * How many of the queued writes go to the store as one call. An invalidation checks the
 * stream's transactions, so everything before it must have committed first: it ends a batch
 * and runs alone. An append with `newChain` to a stream already in the batch starts the next
 * one: within one call, the store fails every request after a failed one to the same stream.
 */
function nextBatchLength(queue: readonly Item[]): number {
  if (queue[0]!.type === 'invalidate') return 1;
  const streams = new Set<string>();
  for (const [index, item] of queue.entries()) {
    if (item.type === 'invalidate' || (item.type === 'append' && item.newChain === true && streams.has(item.stream))) return index;
    streams.add(item.stream);
  }
  return queue.length;
}

/** A batch of appends that all pass the checks made before the store, with their store requests; undefined for any other batch. */
function plainAppends(batch: readonly Item[], limits: ServerLimits, checksConditions: boolean): { frames: AppendFrame[]; requests: AppendRequest[] } | undefined {
  const frames: AppendFrame[] = [];
  const requests: AppendRequest[] = [];
  for (const item of batch) {
    if (item.type !== 'append') return undefined;
    try {
      requests.push(toAppendRequest(item, limits, checksConditions));
    } catch {
      return undefined;
    }
    frames.push(item);
  }
  return { frames, requests };
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
