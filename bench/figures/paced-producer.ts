// A producer at a steady rate: a few events every millisecond, as a real source would emit
// them, never the whole load at once. Each event carries the time of its emit call.
import type { Client } from '../../client/index.js';
import { BENCH_TYPE, benchData } from '../bench-event.js';
import { preciseNow } from './clock.js';

/** The data of a paced event: the bench payload, its number and when it was emitted. */
export interface PacedData {
  readonly text: string;
  readonly n: number;
  /** {@link preciseNow} at the emit call. */
  readonly sentAt: number;
}

/** What a paced run did. */
export interface PacedRun {
  /** Events emitted (all acknowledged when the run resolves). */
  readonly sent: number;
  /** Events per second over the run. */
  readonly achievedRate: number;
}

const TICK_MS = 1;
/**
 * A tick that comes late emits what fell due meanwhile, but at most this many milliseconds'
 * worth: a producer starved of CPU shows as a lower achieved rate, not as bursts.
 */
const MOST_CATCH_UP_MS = 10;

/**
 * Emits `rate` events a second to `stream` for `seconds`, each as its own emit (the client
 * coalesces those of one tick into one frame), and resolves once every emit is acknowledged.
 */
export function producePaced(client: Client, stream: string, rate: number, seconds: number): Promise<PacedRun> {
  return new Promise((resolve, reject) => {
    // A count of the acks still due, not a promise kept per emit: a run holds tens of thousands,
    // and keeping them grew this process's heap and its collector's pauses into the figure.
    let unacked = 0;
    let finished: (() => void) | undefined;
    const acked = (): void => {
      unacked -= 1;
      if (unacked === 0) finished?.();
    };
    let failure: unknown;
    const started = performance.now();
    const mostPerTick = Math.max(1, Math.ceil((rate * MOST_CATCH_UP_MS) / 1000));
    let sent = 0;
    const tick = () => {
      const elapsed = performance.now() - started;
      const due = Math.min(Math.floor((rate * Math.min(elapsed, seconds * 1000)) / 1000), sent + mostPerTick);
      for (; sent < due; sent++) {
        const data: PacedData = { ...benchData(sent), sentAt: preciseNow() };
        unacked += 1;
        // Caught at once, so that a failed emit fails the run instead of going unhandled.
        client.emit(stream, { type: BENCH_TYPE, data }).then(acked, (error: unknown) => {
          failure ??= error;
          acked();
        });
      }
      if (failure === undefined && elapsed < seconds * 1000) return;
      clearInterval(timer);
      const achievedRate = sent / (elapsed / 1000);
      finished = () => {
        if (failure === undefined) resolve({ sent, achievedRate });
        else reject(failure instanceof Error ? failure : new Error('an emit failed', { cause: failure }));
      };
      if (unacked === 0) finished();
    };
    const timer = setInterval(tick, TICK_MS);
  });
}
