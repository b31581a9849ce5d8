// Relay baselines for the latency figures: the same paced load as Tauon's live and fan-out
// figures, through a bare `ws` relay that syncs each turn's frames to disk before passing them
// on (ws-relay-peer.ts), with no protocol and no store. What the machine gives a durable live
// stream at best: Tauon's latencies are printed against them.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { pack } from 'msgpackr';
import type WebSocket from 'ws';
import { BENCH_TYPE } from '../bench-event.js';
import { withinDeadline } from '../figures/deadline.js';
import { fanOutThrough, WARM_UP_SECONDS, type FanOutResult } from '../figures/fan-out-latency.js';
import { LatencyHistogram } from '../figures/latency-histogram.js';
import { paceTicks, type PacedRun } from '../figures/paced-producer.js';
import type { FollowersPlan } from './ws-relay-followers.js';
import { withPeerProcess } from './peer-process.js';
import { RelayFollower, type RelayedEvent } from './ws-relay-follower.js';
import { connectRelay, followRelay } from './ws-relay-socket.js';

const RELAY_PEER = fileURLToPath(new URL('./ws-relay-peer.ts', import.meta.url));
const FOLLOWERS_PROGRAM = fileURLToPath(new URL('./ws-relay-followers.ts', import.meta.url));
const DRAIN_MS = 5_000;
const RUN_LIMIT_MS = 60_000;

/** Emit-to-receipt latency through the relay: a producer and one follower in this process, `rate` events a second for `seconds`. */
export function relayLiveLatency(rate = 10_000, seconds = 5): Promise<{ p50Ms: number; p99Ms: number }> {
  return withPeerProcess(RELAY_PEER, 'relay live latency', RUN_LIMIT_MS, async (port) => {
    const producer = await connectRelay(port);
    const follower = await followRelay(port);
    try {
      const histogram = new LatencyHistogram();
      const counted = new RelayFollower(follower, histogram, Math.round(rate * WARM_UP_SECONDS));
      const run = await produce(producer, rate, WARM_UP_SECONDS + seconds);
      await withinDeadline(DRAIN_MS, 'the relay follower to get every event', counted.receivedAll(run.sent));
      if (!counted.gotExactly(run.sent)) throw new Error(`relay live latency: the follower got ${counted.received} of ${run.sent} events, in order: ${counted.sound}`);
      return { p50Ms: histogram.quantile(0.5), p99Ms: histogram.quantile(0.99) };
    } finally {
      producer.terminate();
      follower.terminate();
    }
  });
}

/** {@link relayLiveLatency} with `followers` followers spread over `processes` child processes, as the fan-out figure. */
export function relayFanOut(followers = 100, rate = 10_000, seconds = 5, processes = 2): Promise<FanOutResult> {
  return withPeerProcess(RELAY_PEER, 'relay fan-out', RUN_LIMIT_MS, async (port, _signal, relayPid) => {
    const producer = await connectRelay(port);
    try {
      const warmUp = Math.round(rate * WARM_UP_SECONDS);
      return await fanOutThrough({
        program: FOLLOWERS_PROGRAM,
        plan: (share): FollowersPlan => ({ port, followers: share, warmUp }),
        produce: () => produce(producer, rate, WARM_UP_SECONDS + seconds),
        serverPid: relayPid,
        subscribers: followers,
        subscriberProcesses: processes,
        seconds,
      });
    } finally {
      producer.terminate();
    }
  });
}

/** Paced events, those of one tick in one frame (as Tauon's client coalesces a tick's emits, and its server a commit's events). */
function produce(producer: WebSocket, rate: number, seconds: number): Promise<PacedRun> {
  let tick: RelayedEvent[] = [];
  return paceTicks(rate, seconds, {
    emit: (data) => {
      const n = data.n + 1;
      tick.push({ stream: 'relay', seq: n, pos: n, tx: n, id: randomUUID(), type: BENCH_TYPE, data, recorded: Date.now() });
    },
    endTick: () => {
      producer.send(pack(tick));
      tick = [];
    },
  });
}
