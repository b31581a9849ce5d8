// The child side of a fan-out subscriber process (fan-out-latency.ts forks it): the exchange with
// the parent over the IPC channel, whatever the followers are (Tauon's subscribers, the relay's).
import { fileURLToPath } from 'node:url';
import { withinDeadline } from './deadline.js';
import { LatencyHistogram } from './latency-histogram.js';

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
      /** Every subscriber got exactly events 1..count, in order. */
      readonly everyoneGotAll: boolean;
      /** Every subscriber's events so far came in order, and no subscription failed. */
      readonly everyoneSound: boolean;
      /** The fewest events any subscriber received. */
      readonly leastReceived: number;
    }
  | { readonly kind: 'failed'; readonly message: string };

/** What the exchange needs of one subscriber. */
export interface CountedFollower {
  readonly received: number;
  /** Its events so far came in order, and it has not failed. */
  readonly sound: boolean;
  /** Exactly `count` events came, in order. */
  gotExactly(count: number): boolean;
  /** Settles once `count` events came (or it failed). */
  receivedAll(count: number): Promise<void>;
}

/**
 * Runs this module as a subscriber process when it is the program started (`moduleUrl` is its
 * import.meta.url), with the plan the parent passed as JSON. `start` connects the followers,
 * which record their latencies into `histogram`, and registers with `onEnd` how to let go of
 * what it opened (undone last first, whatever happens). Then: `ready`, the parent's `expect`, the
 * drain, `result` (or `failed`).
 */
export async function runSubscriberChild<Plan>(
  moduleUrl: string,
  start: (plan: Plan, histogram: LatencyHistogram, onEnd: (end: () => unknown) => void) => Promise<readonly CountedFollower[]>,
): Promise<void> {
  if (process.argv[1] !== fileURLToPath(moduleUrl)) return;
  // Without the parent there is no one to report to: end rather than hold connections open.
  process.once('disconnect', () => setTimeout(() => process.exit(0), 2_000).unref());
  const ends: (() => unknown)[] = [];
  try {
    const histogram = new LatencyHistogram();
    const followers = await start(JSON.parse(process.argv[2]!) as Plan, histogram, (end) => ends.push(end));
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
  } catch (error) {
    await send({ kind: 'failed', message: String(error) });
  } finally {
    for (const end of ends.reverse()) await Promise.resolve().then(end).catch(() => undefined);
    process.disconnect();
  }
}

/** Settles once `message` is on its way: disconnecting before that would lose it. */
function send(message: SubscribersMessage): Promise<void> {
  return new Promise<void>((resolve) => process.send!(message, undefined, {}, () => resolve()));
}
