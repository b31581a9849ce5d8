// The subscriber side of the fan-out figure, as a program of its own: a child process holds the
// live subscribers (one connection each), so that the bench process that produces, and the
// server, are measured without them on the same event loop.
// Started by fan-out-latency.ts; speaks to it over the IPC channel (advanced serialization).
import { connect } from '../../client/index.js';
import { wsTransport } from '../../transports/ws/index.js';
import { LiveFollower } from './live-follower.js';
import { runSubscriberChild } from './subscriber-child.js';

/** What the parent asks for, on the command line (as JSON). */
export interface SubscribersPlan {
  readonly url: string;
  readonly stream: string;
  readonly subscribers: number;
  /** Events numbered below this are not counted in the latencies. */
  readonly warmUp: number;
}

await runSubscriberChild<SubscribersPlan>(import.meta.url, async (plan, histogram, onEnd) => {
  const followers: LiveFollower[] = [];
  for (let i = 0; i < plan.subscribers; i++) {
    const client = await connect(wsTransport(plan.url));
    onEnd(() => client.close());
    const follower = new LiveFollower(client, plan.stream, (ms) => histogram.record(ms), plan.warmUp);
    onEnd(() => follower.stop());
    followers.push(follower);
  }
  await Promise.all(followers.map((follower) => follower.ready));
  return followers;
});
