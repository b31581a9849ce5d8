import { ConnectionClosedError, errorFromWire } from '../protocol/errors.js';
import type { TauonError } from '../protocol/errors.js';
import type { CaughtUpFrame, CompleteFrame, ErrorFrame, EventsFrame, FellBehindFrame, SubscribeFrame } from '../protocol/frames.js';
import { parseClientFrame } from '../protocol/validate.js';
import { asTauonError } from './errors.js';
import type { FrameSender } from './frame-sender.js';
import { Subscription } from './subscription.js';
import type { FeedConsumer, SubscriptionSpec } from './subscription.js';

/** The frames a subscription receives. */
export type SubscriptionFrame = EventsFrame | CaughtUpFrame | FellBehindFrame | CompleteFrame | ErrorFrame;

/**
 * The client's open subscriptions: gives each a unique id, routes the server's subscription
 * frames to it, and resubscribes every open one when a new session comes up.
 */
export class SubscriptionRegistry {
  private readonly subscriptions = new Map<number, Subscription>();
  private sender: FrameSender | undefined;
  private closedWith: TauonError | undefined;

  /** @param nextSub the client's subscription ids (group members take theirs from the same sequence). */
  constructor(private readonly nextSub: () => number = counter()) {}

  /** How many subscriptions are open. */
  get size(): number {
    return this.subscriptions.size;
  }

  /**
   * Opens a subscription; it subscribes at once when a session is up, else when one comes up
   * (each session caps its window at that server's `maxCredit`). A subscription the protocol
   * does not allow fails at once with a `bad-frame` error; once the client is closed, every one
   * fails at once with `ConnectionClosedError`.
   */
  open(spec: SubscriptionSpec, consumer: FeedConsumer): Subscription {
    const checked = checkSpec(spec);
    const subscription = new Subscription(this.nextSub(), checked.spec ?? spec, consumer, (ended) => {
      if (this.subscriptions.get(ended.sub) === ended) this.subscriptions.delete(ended.sub);
    });
    const refusal = this.closedWith ?? checked.error;
    if (refusal !== undefined) {
      subscription.onError(refusal);
      return subscription;
    }
    this.subscriptions.set(subscription.sub, subscription);
    if (this.sender !== undefined) subscription.attach(this.sender);
    return subscription;
  }

  /** A session came up: resubscribe every open subscription, in the order they were opened. */
  attach(sender: FrameSender): void {
    this.sender = sender;
    for (const subscription of [...this.subscriptions.values()]) {
      if (this.sender !== sender) return; // a consumer's callback ended the session meanwhile
      subscription.attach(sender);
    }
  }

  /** The session ended. */
  detach(): void {
    this.sender = undefined;
    for (const subscription of [...this.subscriptions.values()]) subscription.detach();
  }

  /** True when `sub` is an open subscription's. */
  has(sub: number): boolean {
    return this.subscriptions.has(sub);
  }

  /** Routes a subscription frame; frames of a subscription that ended are ignored. */
  route(frame: SubscriptionFrame): void {
    if (frame.sub === undefined) return;
    const subscription = this.subscriptions.get(frame.sub);
    if (subscription === undefined) return;
    switch (frame.type) {
      case 'events':
        subscription.onEvents(frame.events);
        return;
      case 'caught-up':
        subscription.onCaughtUp(frame.at);
        return;
      case 'fell-behind':
        subscription.onFellBehind(frame.at);
        return;
      case 'complete':
        subscription.onComplete();
        return;
      case 'error':
        subscription.onServerError(errorFromWire(frame.code, frame.message, frame.details));
        return;
    }
  }

  /**
   * Fails every open subscription with `error` (the store changed, SPEC 12): none is sent to
   * the next session; subscriptions opened later are.
   */
  failAll(error: TauonError): void {
    for (const subscription of [...this.subscriptions.values()]) {
      subscription.detach();
      subscription.onError(error);
      this.subscriptions.delete(subscription.sub);
    }
  }

  /**
   * The client closed: completes every subscription (`error` undefined) or fails them with
   * `error`; later ones fail at once.
   */
  endAll(error?: TauonError): void {
    this.sender = undefined;
    this.closedWith = error ?? new ConnectionClosedError('the client is closed');
    for (const subscription of [...this.subscriptions.values()]) {
      subscription.detach();
      if (error === undefined) subscription.onComplete();
      else subscription.onError(error);
    }
  }
}

/**
 * The spec with its start position and filter as the protocol takes them (only the protocol's
 * fields), or why it cannot be sent. Checked once, before it is queued: a subscribe frame that
 * cannot be encoded would otherwise fail only when it is (re)sent, in the middle of a resume.
 */
function checkSpec(spec: SubscriptionSpec): { spec?: SubscriptionSpec; error?: TauonError } {
  const probe: Record<string, unknown> = { type: 'subscribe', sub: 1, stream: spec.stream, mode: spec.mode, credit: 0 };
  if (spec.from !== undefined) probe['from'] = spec.from;
  if (spec.filter !== undefined) probe['filter'] = spec.filter;
  try {
    const frame = parseClientFrame(probe) as SubscribeFrame;
    return { spec: { ...spec, from: frame.from, filter: frame.filter } };
  } catch (error) {
    return { error: asTauonError(error, 'bad-frame', 'the subscription is not a valid frame') };
  }
}

/** Subscription ids from 1 up. */
function counter(): () => number {
  let last = 0;
  return () => {
    last += 1;
    return last;
  };
}
