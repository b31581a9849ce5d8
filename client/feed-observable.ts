import { Observable } from 'rxjs';
import type { Subscriber } from 'rxjs';
import type { StoredEvent } from '../protocol/frames.js';
import type { FeedConsumer, Subscription } from './subscription.js';
import type { FeedItem } from './types.js';

/** Opens a subscription for a consumer. */
export type OpenSubscription = (consumer: FeedConsumer) => Subscription;

/**
 * A cold Observable of a subscription: each subscriber opens its own server subscription, and
 * its teardown sends `unsubscribe` (it never calls `complete`). `toConsumer` adapts the
 * subscriber to what it wants to see (events only, or events and signals).
 */
export function subscriptionObservable<T>(
  open: OpenSubscription,
  toConsumer: (subscriber: Subscriber<T>) => FeedConsumer,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    const subscription = open(toConsumer(subscriber));
    return () => {
      subscription.cancel();
    };
  });
}

/** A consumer that passes only the events on. */
export function eventsTo(subscriber: Subscriber<StoredEvent>): FeedConsumer {
  return {
    ready: () => true,
    event: (event) => {
      subscriber.next(event);
    },
    signal: () => undefined,
    complete: () => {
      subscriber.complete();
    },
    error: (error) => {
      subscriber.error(error);
    },
  };
}

/** A consumer that passes the events and the caught-up / fell-behind signals on, as {@link FeedItem}s. */
export function feedTo(subscriber: Subscriber<FeedItem>): FeedConsumer {
  return {
    ready: () => true,
    event: (event) => {
      subscriber.next({ kind: 'event', event });
    },
    signal: (kind, at) => {
      subscriber.next({ kind, at });
    },
    complete: () => {
      subscriber.complete();
    },
    error: (error) => {
      subscriber.error(error);
    },
  };
}
