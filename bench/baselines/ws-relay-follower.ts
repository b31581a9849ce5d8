// One follower of the relay (ws-relay-peer.ts): decodes every frame with msgpackr into objects,
// as a subscriber that uses its events must, and checks and times them.
import { unpack } from 'msgpackr';
import type WebSocket from 'ws';
import type { BenchStoredEvent } from '../bench-event.js';
import { preciseNow } from '../figures/clock.js';
import type { LatencyHistogram } from '../figures/latency-histogram.js';
import type { PacedData } from '../figures/paced-producer.js';
import type { CountedFollower } from '../figures/subscriber-child.js';

/** What the relay passes on: events as a store would, the shape Tauon's subscribers decode. */
export type RelayedEvent = BenchStoredEvent<PacedData>;

/** Counts the events of `socket`, which must come numbered 0, 1, 2, ...; records the latencies of those from `warmUp` on. */
export class RelayFollower implements CountedFollower {
  received = 0;
  sound = true;
  private waiter: (() => void) | undefined;
  private target = Infinity;

  constructor(socket: WebSocket, histogram: LatencyHistogram, warmUp: number) {
    socket.on('message', (frame: Buffer) => {
      const now = preciseNow();
      for (const { data } of unpack(frame) as RelayedEvent[]) {
        if (data.n !== this.received) this.sound = false;
        if (data.n >= warmUp) histogram.record(now - data.sentAt);
        this.received += 1;
      }
      if (this.received >= this.target) this.waiter?.();
    });
  }

  gotExactly(count: number): boolean {
    return this.sound && this.received === count;
  }

  receivedAll(count: number): Promise<void> {
    if (this.received >= count) return Promise.resolve();
    this.target = count;
    return new Promise((resolve) => (this.waiter = resolve));
  }
}
