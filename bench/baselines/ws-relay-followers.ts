// The followers of the relay fan-out baseline, as a program of its own (ws-relay.ts forks it
// through fanOutThrough): raw `ws` connections to the relay peer (RelayFollower). It speaks the
// subscriber processes' IPC messages (subscriber-child.ts).
import { runSubscriberChild } from '../figures/subscriber-child.js';
import { RelayFollower } from './ws-relay-follower.js';
import { followRelay } from './ws-relay-socket.js';

/** What the parent asks for, on the command line (as JSON). */
export interface FollowersPlan {
  readonly port: number;
  readonly followers: number;
  /** Events numbered below this are not counted in the latencies. */
  readonly warmUp: number;
}

await runSubscriberChild<FollowersPlan>(import.meta.url, async (plan, histogram, onEnd) => {
  const followers: RelayFollower[] = [];
  for (let i = 0; i < plan.followers; i++) {
    const socket = await followRelay(plan.port);
    onEnd(() => socket.terminate());
    followers.push(new RelayFollower(socket, histogram, plan.warmUp));
  }
  return followers;
});
