import type { TauonError } from '../protocol/errors.js';
import type { StoredEvent } from '../protocol/frames.js';
import type { FeedConsumer, Subscription } from './subscription.js';
import type { EventIterator } from './types.js';

interface Pull {
  readonly resolve: (result: IteratorResult<StoredEvent, undefined>) => void;
  readonly reject: (error: TauonError) => void;
}

const DONE: IteratorResult<StoredEvent, undefined> = { done: true, value: undefined };

/**
 * A pull-based iterator over one subscription. The subscription opens on the first `next()`;
 * an event is handed over only to a waiting `next()`, and the subscription returns credit only
 * for events handed over, so a consumer that stops pulling stops the server's sending with at
 * most `prefetch` events buffered.
 */
export class SubscriptionIterator implements EventIterator {
  private subscription: Subscription | undefined;
  private readonly pulls: Pull[] = [];
  private done = false;
  private failure: TauonError | undefined;

  private readonly consumer: FeedConsumer = {
    ready: () => this.pulls.length > 0,
    event: (event) => {
      this.pulls.shift()?.resolve({ done: false, value: event });
    },
    signal: () => undefined,
    complete: () => {
      this.finish(undefined);
    },
    error: (error) => {
      this.finish(error);
    },
  };

  /** @param open opens the subscription for a consumer (called once, on the first `next()`). */
  constructor(private readonly open: (consumer: FeedConsumer) => Subscription) {}

  /** The next event; done when the subscription completed or was returned; rejects with its error. */
  next(): Promise<IteratorResult<StoredEvent, undefined>> {
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.done) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      this.pulls.push({ resolve, reject });
      if (this.subscription === undefined) this.subscription = this.open(this.consumer);
      else this.subscription.pull();
    });
  }

  /** Ends the subscription (sends `unsubscribe` if connected); pending and later pulls are done. */
  return(): Promise<IteratorResult<StoredEvent, undefined>> {
    this.subscription?.cancel();
    this.finish(undefined);
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private finish(error: TauonError | undefined): void {
    if (this.done) return;
    this.done = true;
    const pulls = this.pulls.splice(0);
    const first = pulls.shift();
    if (error !== undefined) {
      if (first === undefined) this.failure = error;
      else first.reject(error);
    } else {
      first?.resolve(DONE);
    }
    for (const pull of pulls) pull.resolve(DONE);
  }
}
