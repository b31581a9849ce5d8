import { Observable } from 'rxjs';
import type { Subscriber } from 'rxjs';
import type { GroupMember, MemberBehaviour, MemberConsumer } from './group-member.js';
import type { ConsumerItem, Delivery } from './group-types.js';

/** Opens a group member for a consumer. */
export type OpenMember = (consumer: MemberConsumer, behaviour: MemberBehaviour) => GroupMember;

/**
 * How an Observable's subscriber takes deliveries: every one as it comes (credit returns as
 * they are handed over), and a redelivery after an ack timeout again, as the server sends it.
 */
const OBSERVER_BEHAVIOUR: MemberBehaviour = { creditOn: 'handover', redeliverHandedOut: true };

/**
 * A cold Observable of one group member: each subscriber joins the group as its own member
 * (`consume`), and its teardown leaves it (`unsubscribe`; it never calls `complete`).
 * `toConsumer` adapts the subscriber to what it wants to see.
 */
export function memberObservable<T>(open: OpenMember, toConsumer: (subscriber: Subscriber<T>) => MemberConsumer): Observable<T> {
  return new Observable<T>((subscriber) => {
    const member = open(toConsumer(subscriber), OBSERVER_BEHAVIOUR);
    return () => {
      member.cancel();
    };
  });
}

/** A consumer that passes only the deliveries on. */
export function deliveriesTo(subscriber: Subscriber<Delivery>): MemberConsumer {
  return {
    ready: () => true,
    delivery: (delivery) => {
      subscriber.next(delivery);
    },
    status: () => undefined,
    complete: () => {
      subscriber.complete();
    },
    error: (error) => {
      subscriber.error(error);
    },
  };
}

/** A consumer that passes the deliveries and the member's status on, as {@link ConsumerItem}s. */
export function consumerItemsTo(subscriber: Subscriber<ConsumerItem>): MemberConsumer {
  return {
    ready: () => true,
    delivery: (delivery) => {
      subscriber.next({ kind: 'delivery', delivery });
    },
    status: (item) => {
      subscriber.next(item);
    },
    complete: () => {
      subscriber.complete();
    },
    error: (error) => {
      subscriber.error(error);
    },
  };
}
