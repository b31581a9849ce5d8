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
export async function producePaced(client: Client, stream: string, rate: number, seconds: number): Promise<PacedRun> {
  // A count of the acks still due, not a promise kept per emit: a run holds tens of thousands,
  // and keeping them grew this process's heap and its collector's pauses into the figure.
  let unacked = 0;
  let allAcked: (() => void) | undefined;
  let failure: unknown;
  const acked = (): void => {
    unacked -= 1;
    if (unacked === 0) allAcked?.();
  };
  const run = await paceTicks(rate, seconds, {
    emit: (data) => {
      unacked += 1;
      // Caught at once, so that a failed emit fails the run instead of going unhandled.
      client.emit(stream, { type: BENCH_TYPE, data }).then(acked, (error: unknown) => {
        failure ??= error;
        acked();
      });
    },
    failed: () => failure !== undefined,
  });
  if (unacked > 0) await new Promise<void>((resolve) => (allAcked = resolve));
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error('an emit failed', { cause: failure });
  return run;
}

/** What {@link paceTicks} does with the events that fall due. */
export interface PacedSink {
  /** Called for each event as it falls due, with its data (numbered from 0, stamped now). */
  emit(data: PacedData): void;
  /** Called after each tick's events, if any fell due. */
  endTick?(): void;
  /** Stops the run early when it answers true. */
  failed?(): boolean;
}

/**
 * The pacing of {@link producePaced}, for any sink: every TICK_MS, the events due by then at
 * `rate` a second, for `seconds`; resolves when the time is up (or the sink failed).
 */
export function paceTicks(rate: number, seconds: number, sink: PacedSink): Promise<PacedRun> {
  return new Promise((resolve) => {
    const started = performance.now();
    const mostPerTick = Math.max(1, Math.ceil((rate * MOST_CATCH_UP_MS) / 1000));
    let sent = 0;
    const tick = () => {
      const elapsed = performance.now() - started;
      const due = Math.min(Math.floor((rate * Math.min(elapsed, seconds * 1000)) / 1000), sent + mostPerTick);
      if (sent < due) {
        for (; sent < due; sent++) sink.emit({ ...benchData(sent), sentAt: preciseNow() });
        sink.endTick?.();
      }
      if (sink.failed?.() !== true && elapsed < seconds * 1000) return;
      clearInterval(timer);
      resolve({ sent, achievedRate: sent / (elapsed / 1000) });
    };
    const timer = setInterval(tick, TICK_MS);
  });
}
