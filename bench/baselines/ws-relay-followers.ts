// The followers of the relay fan-out baseline, as a program of its own (ws-relay.ts forks it
// through fanOutThrough): raw `ws` connections to the relay peer, each decoding every frame with
// msgpackr into objects, as a subscriber that uses its events must. It speaks the subscriber
// processes' IPC messages (fan-out-subscribers.ts).
import { fileURLToPath } from 'node:url';
import { unpack } from 'msgpackr';
import type WebSocket from 'ws';
import { preciseNow } from '../figures/clock.js';
import { withinDeadline } from '../figures/deadline.js';
import type { ExpectMessage, SubscribersMessage } from '../figures/fan-out-subscribers.js';
import { LatencyHistogram } from '../figures/latency-histogram.js';
import { sendToParent } from '../figures/send-to-parent.js';
import type { RelayedEvent } from './ws-relay.js';
import { followRelay } from './ws-relay-socket.js';

/** What the parent asks for, on the command line (as JSON). */
export interface FollowersPlan {
  readonly port: number;
  readonly followers: number;
  /** Events numbered below this are not counted in the latencies. */
  readonly warmUp: number;
}

/** One connection: counts its events, which must come numbered 0, 1, 2, ... */
class RelayFollower {
  received = 0;
  inOrder = true;
  private waiter: (() => void) | undefined;
  private target = Infinity;

  constructor(
    readonly socket: WebSocket,
    histogram: LatencyHistogram,
    warmUp: number,
  ) {
    socket.on('message', (frame: Buffer) => {
      const now = preciseNow();
      for (const { data } of unpack(frame) as RelayedEvent[]) {
        if (data.n !== this.received) this.inOrder = false;
        if (data.n >= warmUp) histogram.record(now - data.sentAt);
        this.received += 1;
      }
      if (this.received >= this.target) this.waiter?.();
    });
  }

  receivedAll(count: number): Promise<void> {
    if (this.received >= count) return Promise.resolve();
    this.target = count;
    return new Promise((resolve) => (this.waiter = resolve));
  }
}

async function run(plan: FollowersPlan): Promise<void> {
  const send = (message: SubscribersMessage) => sendToParent(message);
  const followers: RelayFollower[] = [];
  try {
    const histogram = new LatencyHistogram();
    for (let i = 0; i < plan.followers; i++) followers.push(new RelayFollower(await followRelay(plan.port), histogram, plan.warmUp));
    const expected = new Promise<ExpectMessage>((resolve) => process.once('message', resolve));
    await send({ kind: 'ready' });
    const { count, drainMs } = await expected;
    await withinDeadline(drainMs, 'every follower to get every event', Promise.all(followers.map((f) => f.receivedAll(count)))).catch(
      () => undefined, // those that fell short say so below
    );
    await send({
      kind: 'result',
      counts: histogram.counts,
      everyoneGotAll: followers.every((follower) => follower.inOrder && follower.received === count),
      everyoneSound: followers.every((follower) => follower.inOrder),
      leastReceived: Math.min(...followers.map((follower) => follower.received)),
    });
  } catch (error) {
    await send({ kind: 'failed', message: String(error) });
  } finally {
    for (const follower of followers) follower.socket.terminate();
    process.disconnect();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.once('disconnect', () => setTimeout(() => process.exit(0), 2_000).unref());
  await run(JSON.parse(process.argv[2]!) as FollowersPlan);
}
