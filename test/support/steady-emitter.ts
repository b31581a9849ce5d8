import type { Client } from '../../client/index.js';

/** One emit and when its ack came (performance.now()). */
interface EmitSample {
  readonly sent: number;
  readonly acked: number;
}

/** What the emits around a piece of work saw. */
export interface EmitsDuring {
  /** Emits whose wait overlapped the work. */
  readonly count: number;
  /** The longest emit-to-ack among them, in ms (0 when none). */
  readonly worstMs: number;
}

/**
 * Another client's steady writes beside a piece of work: one emit every `intervalMs` to one
 * stream, each timed from the call to its ack, to tell how long the server kept it waiting.
 */
export class SteadyEmitter {
  private readonly samples: EmitSample[] = [];
  private pending = 0;
  private failure: Error | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly client: Client,
    stream: string,
    intervalMs = 10,
  ) {
    this.timer = setInterval(() => {
      const sent = performance.now();
      this.pending += 1;
      this.client.emit(stream, { type: 'tick' }).then(
        () => {
          this.pending -= 1;
          this.samples.push({ sent, acked: performance.now() });
        },
        (error: unknown) => {
          this.pending -= 1;
          this.failure = error instanceof Error ? error : new Error(String(error));
        },
      );
    }, intervalMs);
  }

  /**
   * Runs `work` and answers how long it took and what the emits waiting meanwhile saw (after
   * those still unanswered at its end are acked, 10 s at most).
   */
  async during(work: () => Promise<unknown>): Promise<EmitsDuring & { readonly workMs: number }> {
    const start = performance.now();
    await work();
    const end = performance.now();
    for (let waited = 0; this.pending > 0 && waited < 10_000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
    if (this.failure !== undefined) throw this.failure;
    const overlapping = this.samples.filter((sample) => sample.acked >= start && sample.sent <= end);
    return {
      workMs: end - start,
      count: overlapping.length,
      worstMs: Math.max(0, ...overlapping.map((sample) => sample.acked - sample.sent)),
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
