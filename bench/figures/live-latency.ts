// Emit-to-live-subscriber latency: a producer at a steady rate and a hot subscriber on its own
// connection, both in this process, the reference server in its own.
import { connect } from '../../client/index.js';
import { wsTransport } from '../../transports/ws/index.js';
import { quantile } from '../figure.js';
import { withinDeadline } from './deadline.js';
import { LiveFollower } from './live-follower.js';
import { producePaced } from './paced-producer.js';
import { closeAll, withClient, withReferenceServer } from './reference-server.js';

export { fanOutLatency } from './fan-out-latency.js';

/** The first half second of events warms both processes up; their latencies are not counted. */
const WARM_UP_SECONDS = 0.5;
/** How long the subscriber may still take to get the last event after the producer stopped. */
const DRAIN_MS = 5_000;

/** What the live-latency figure measured. */
export interface LiveLatencyResult {
  /** Emit call to the subscriber's receipt, in milliseconds. */
  p50Ms: number;
  p99Ms: number;
  /** Events a second the producer achieved. */
  achievedRate: number;
}

/**
 * Latency from the emit call to a live subscriber's receipt, with the producer at `rate` events
 * a second for `seconds` (after a short warm-up whose latencies are not counted).
 */
export function liveLatency(rate = 10_000, seconds = 5): Promise<LiveLatencyResult> {
  return withReferenceServer((server) => measureLiveLatency(server.url, rate, seconds));
}

/** {@link liveLatency} against a server already running at `url` (e.g. one under a profiler). */
export function measureLiveLatency(url: string, rate: number, seconds: number): Promise<LiveLatencyResult> {
  const stream = `live-latency-${process.pid}-${Date.now()}`;
  const warmUp = Math.round(rate * WARM_UP_SECONDS);
  return withClient(url, (producer) =>
    withinDeadline((WARM_UP_SECONDS + seconds) * 1000 + DRAIN_MS + 10_000, 'liveLatency', (async () => {
      const subscriberClient = await connect(wsTransport(url));
      try {
        const latencies: number[] = [];
        const follower = new LiveFollower(subscriberClient, stream, (ms) => latencies.push(ms), warmUp);
        await follower.ready;
        const run = await producePaced(producer, stream, rate, WARM_UP_SECONDS + seconds);
        await withinDeadline(DRAIN_MS, 'the live subscriber to get every event', follower.receivedAll(run.sent));
        if (!follower.gotExactly(run.sent)) {
          throw new Error(`the live subscriber got ${follower.received} of ${run.sent} events, in order: ${follower.inOrder}`);
        }
        follower.stop();
        return { p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99), achievedRate: run.achievedRate };
      } finally {
        await closeAll([subscriberClient]);
      }
    })()),
  );
}
