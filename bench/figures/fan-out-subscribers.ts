// The subscriber side of the fan-out figure, as a program of its own: a child process holds the
// live subscribers (one connection each), so that the bench process that produces, and the
// server, are measured without them on the same event loop.
// Started by fan-out-latency.ts; speaks to it over the IPC channel (advanced serialization).
import { fileURLToPath } from 'node:url';
import { connect, type Client } from '../../client/index.js';
import { wsTransport } from '../../transports/ws/index.js';
import { withinDeadline } from './deadline.js';
import { LatencyHistogram } from './latency-histogram.js';
import { LiveFollower } from './live-follower.js';
import { sendToParent } from './send-to-parent.js';

/** What the parent asks for, on the command line (as JSON). */
export interface SubscribersPlan {
  readonly url: string;
  readonly stream: string;
  readonly subscribers: number;
  /** Events numbered below this are not counted in the latencies. */
  readonly warmUp: number;
}

/** Parent to child: the producer is done; wait until every subscriber has `count` events. */
export interface ExpectMessage {
  readonly kind: 'expect';
  readonly count: number;
  readonly drainMs: number;
}

/** Child to parent. */
export type SubscribersMessage =
  | { readonly kind: 'ready' }
  | {
      readonly kind: 'result';
      /** The latency histogram's counts (see LatencyHistogram). */
      readonly counts: Uint32Array;
      /** Every subscriber got exactly seq 1..count, in order. */
      readonly everyoneGotAll: boolean;
      /** Every subscriber's events so far came in order, and no subscription failed. */
      readonly everyoneSound: boolean;
      /** The fewest events any subscriber received. */
      readonly leastReceived: number;
    }
  | { readonly kind: 'failed'; readonly message: string };

async function run(plan: SubscribersPlan): Promise<void> {
  const send = (message: SubscribersMessage) => sendToParent(message);
  const clients: Client[] = [];
  try {
    for (let i = 0; i < plan.subscribers; i++) clients.push(await connect(wsTransport(plan.url)));
    const histogram = new LatencyHistogram();
    const followers = clients.map((client) => new LiveFollower(client, plan.stream, (ms) => histogram.record(ms), plan.warmUp));
    await Promise.all(followers.map((follower) => follower.ready));
    const expected = new Promise<ExpectMessage>((resolve) => process.once('message', resolve));
    await send({ kind: 'ready' });
    const { count, drainMs } = await expected;
    await withinDeadline(drainMs, 'every subscriber to get every event', Promise.all(followers.map((f) => f.receivedAll(count)))).catch(
      () => undefined, // those that fell short say so below
    );
    await send({
      kind: 'result',
      counts: histogram.counts,
      everyoneGotAll: followers.every((follower) => follower.gotExactly(count)),
      everyoneSound: followers.every((follower) => follower.sound),
      leastReceived: Math.min(...followers.map((follower) => follower.received)),
    });
    for (const follower of followers) follower.stop();
  } catch (error) {
    await send({ kind: 'failed', message: String(error) });
  } finally {
    await Promise.allSettled(clients.map((client) => client.close()));
    process.disconnect();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // Without the parent there is no one to report to: end rather than hold connections open.
  process.once('disconnect', () => setTimeout(() => process.exit(0), 2_000).unref());
  await run(JSON.parse(process.argv[2]!) as SubscribersPlan);
}
