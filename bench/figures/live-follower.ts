// One live subscriber as the latency figures see it: it notes each event's delivery latency
// and checks that the events arrive complete and in order.
import type { Subscription as RxSubscription } from 'rxjs';
import type { Client } from '../../client/index.js';
import { preciseNow } from './clock.js';
import type { PacedData } from './paced-producer.js';

/**
 * A hot subscription to a fresh stream (subscribed before its first event), so that it must
 * receive seq 1, 2, 3, ... Latencies of events numbered below `warmUp` are not recorded.
 */
export class LiveFollower {
  /** Resolves once the server has confirmed the subscription (its `caught-up`). */
  readonly ready: Promise<void>;
  received = 0;
  inOrder = true;
  private failure: unknown;
  private readonly subscription: RxSubscription;
  private waiter: { count: number; done: () => void } | undefined;

  constructor(client: Client, stream: string, record: (latencyMs: number) => void, warmUp: number) {
    let confirm!: () => void;
    let refuse!: (error: unknown) => void;
    this.ready = new Promise((resolve, reject) => {
      confirm = resolve;
      refuse = reject;
    });
    this.subscription = client.feed(stream, { mode: 'hot' }).subscribe({
      next: (item) => {
        if (item.kind === 'caught-up') confirm();
        if (item.kind !== 'event') return;
        const data = item.event.data as PacedData;
        if (data.n >= warmUp) record(preciseNow() - data.sentAt);
        this.received += 1;
        if (item.event.seq !== this.received) this.inOrder = false;
        if (this.waiter !== undefined && this.received >= this.waiter.count) this.waiter.done();
      },
      error: (error: unknown) => {
        this.failure = error;
        refuse(error);
        this.waiter?.done();
      },
    });
  }

  /** Resolves once `count` events arrived (or the subscription failed: see {@link check}). */
  receivedAll(count: number): Promise<void> {
    if (this.received >= count || this.failure !== undefined) return Promise.resolve();
    return new Promise((done) => (this.waiter = { count, done }));
  }

  /** True while every event so far came in order and the subscription has not failed. */
  get sound(): boolean {
    return this.failure === undefined && this.inOrder;
  }

  /** True when exactly seq 1..count arrived, in order, and the subscription did not fail. */
  gotExactly(count: number): boolean {
    return this.sound && this.received === count;
  }

  stop(): void {
    this.subscription.unsubscribe();
  }
}
