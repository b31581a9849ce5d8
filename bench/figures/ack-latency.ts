// Emit-to-ack latency: one emit at a time, each awaited before the next, through the reference
// server (its own process, durable lmdb store) over WebSocket.
import { BENCH_TYPE, benchData } from '../bench-event.js';
import { quantile } from '../figure.js';
import { withinDeadline } from './deadline.js';
import { withClient, withReferenceServer } from './reference-server.js';

/** Emits before the measured ones, so that both processes' JIT and the store are warm. */
const WARM_UP = 500;

/** The latency of one acknowledged emit, in milliseconds: its median and 99th percentile. */
export function ackLatency(samples = 5_000): Promise<{ p50Ms: number; p99Ms: number }> {
  return withReferenceServer((server) => measureAckLatency(server.url, samples));
}

/** {@link ackLatency} against a server already running at `url` (e.g. one under a profiler). */
export function measureAckLatency(url: string, samples: number): Promise<{ p50Ms: number; p99Ms: number }> {
  return withClient(url, (client) =>
    withinDeadline(25_000, `ackLatency(${samples})`, (async () => {
      const stream = `ack-latency-${process.pid}-${Date.now()}`;
      for (let n = 0; n < WARM_UP; n++) await client.emit(stream, { type: BENCH_TYPE, data: benchData(n) });
      const latencies = new Float64Array(samples);
      for (let i = 0; i < samples; i++) {
        const started = performance.now();
        await client.emit(stream, { type: BENCH_TYPE, data: benchData(WARM_UP + i) });
        latencies[i] = performance.now() - started;
      }
      const values = Array.from(latencies);
      return { p50Ms: quantile(values, 0.5), p99Ms: quantile(values, 0.99) };
    })()),
  );
}
