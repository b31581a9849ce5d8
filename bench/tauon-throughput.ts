// Tauon's own throughput figures, through a reference server in another process: acknowledged
// emits with a bounded number in flight, and a cold replay of a whole stream.
import type { Client } from '../client/index.js';
import { BENCH_TYPE, benchData } from './bench-event.js';

/**
 * Emits `events` events to `stream`, one event per emit call, keeping at most `inFlight`
 * unacknowledged (as an async producer would: the next emit waits for a free slot); returns
 * events acknowledged per second. Emits issued in one tick travel as one frame.
 */
export async function emitThroughput(client: Client, stream: string, events: number, inFlight: number): Promise<number> {
  let pending = 0;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const settle = (): void => {
    pending -= 1;
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const fail = (error: unknown): void => {
    failure ??= error instanceof Error ? error : new Error(String(error));
    settle();
  };
  const started = performance.now();
  for (let n = 0; n < events; n += 1) {
    while (pending >= inFlight) await new Promise<void>((resolve) => (wake = resolve));
    if (failure !== undefined) throw failure;
    pending += 1;
    client.emit(stream, { type: BENCH_TYPE, data: benchData(n) }).then(settle, fail);
  }
  while (pending > 0) await new Promise<void>((resolve) => (wake = resolve));
  if (failure !== undefined) throw failure;
  return events / ((performance.now() - started) / 1000);
}

/**
 * Replays `stream` cold from its start; returns events delivered per second. Like the raw
 * baselines it keeps nothing: it counts the events and checks that their seqs run 1..expected.
 */
export async function replayThroughput(client: Client, stream: string, expected: number, prefetch = 5_000): Promise<number> {
  const started = performance.now();
  let count = 0;
  await new Promise<void>((resolve, reject) => {
    client.replay(stream, { prefetch }).subscribe({
      next: (event) => {
        count += 1;
        if (event.seq !== count) reject(new Error(`replay delivered seq ${event.seq} as event ${count}`));
      },
      error: reject,
      complete: resolve,
    });
  });
  const elapsed = performance.now() - started;
  if (count !== expected) throw new Error(`replayed ${count} of ${expected} events`);
  return expected / (elapsed / 1000);
}
