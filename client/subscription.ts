import type { TauonError } from '../protocol/errors.js';
import type { EventFilter, StartPosition, StoredEvent, SubscribeFrame, SubscriptionMode } from '../protocol/frames.js';
import { Fifo } from './fifo.js';
import type { FrameSender } from './frame-sender.js';

/** What one subscription asks the server for. */
export interface SubscriptionSpec {
  /** A stream name, a prefix pattern ending in `*`, or `$all`. */
  readonly stream: string;
  readonly mode: SubscriptionMode;
  readonly from: StartPosition | undefined;
  readonly filter: EventFilter | undefined;
  /** The credit window. */
  readonly prefetch: number;
}

/** Who receives a subscription's items: an Observable's subscriber or a pull iterator. */
export interface FeedConsumer {
  /** True while the consumer takes an event now (always for an Observer; for an iterator, while a pull waits). */
  ready(): boolean;
  event(event: StoredEvent): void;
  /** A `caught-up` or `fell-behind`, in order between the events. */
  signal(kind: 'caught-up' | 'fell-behind', at: number): void;
  complete(): void;
  error(error: TauonError): void;
}

/** A signal queued between the events, so that it reaches the consumer in order. */
class Signal {
  constructor(
    readonly kind: 'caught-up' | 'fell-behind' | 'complete' | 'error',
    readonly at: number,
    readonly error?: TauonError,
  ) {}
}

/**
 * One subscription's state across connections: its credit window, the last position it
 * accepted, what it has buffered for a consumer that is not ready, and how to resume it after a
 * reconnect with no gap and no duplicate.
 *
 * Positions are seqs for one stream and store-wide `pos` for a pattern or `$all`. Events at or
 * below the last accepted position are dropped (a server that resends after a resume must not
 * cause a duplicate), and events are handed over in the order received.
 *
 * Credit: the window is `prefetch`, capped at the `maxCredit` of the session's server (known only
 * once a session is up, and possibly smaller on the next server): the server holds at most the
 * window minus what is buffered here. Credit is returned in batches as events are handed to the
 * consumer (or dropped as duplicates), once at least half the window is free. More than
 * `maxCredit` would be refused with `limit`, failing the subscription for no fault of the user.
 */
export class Subscription {
  private readonly byPosition: boolean;
  private readonly buffer = new Fifo<StoredEvent | Signal>();
  private bufferedEvents = 0;
  /** The position of the last event accepted (delivered or buffered). */
  private lastAccepted: number | undefined;
  /** The `at` of the newest caught-up / fell-behind received: everything before it was sent. */
  private examinedAt: number | undefined;
  private caughtUp = false;
  /** Whether a frame of the subscription came on the current session: the server started it there. */
  private started = false;
  /** The credit window on the current session: `prefetch`, capped at its server's `maxCredit`. */
  private window: number;
  /** Credit the server holds on the current session: granted, minus the events received. */
  private outstanding = 0;
  private sender: FrameSender | undefined;
  /** `open`: live. `ending`: a terminal signal is queued behind buffered events. `ended`: done. */
  private state: 'open' | 'ending' | 'ended' = 'open';
  private draining = false;

  constructor(
    /** The subscription id, unique in the client. */
    readonly sub: number,
    readonly spec: SubscriptionSpec,
    private readonly consumer: FeedConsumer,
    private readonly onEnded: (subscription: Subscription) => void,
  ) {
    this.byPosition = spec.stream === '$all' || spec.stream.endsWith('*');
    this.window = spec.prefetch;
  }

  /** True once the subscription has ended (completed, failed or cancelled). */
  get ended(): boolean {
    return this.state === 'ended';
  }

  /** Where the subscription would resume now, and in which mode (for the `subscribe` frame). */
  resumePoint(): { from: StartPosition | undefined; mode: SubscriptionMode } {
    const known = Math.max(this.lastAccepted ?? -1, this.examinedAt ?? -1);
    if (known < 0) return { from: this.spec.from, mode: this.spec.mode };
    // A hot subscription resumes as hot-cold so that what committed while disconnected is not lost.
    return { from: { after: known }, mode: this.spec.mode === 'hot' ? 'hot-cold' : this.spec.mode };
  }

  /** A session came up: (re)subscribe from where the subscription is, with the credit it has free. */
  attach(sender: FrameSender): void {
    if (this.state !== 'open') return;
    this.sender = sender;
    this.started = false;
    this.window = Math.max(1, Math.min(this.spec.prefetch, sender.limits.maxCredit));
    // What is still buffered from the last session counts against the new one's window.
    this.outstanding = Math.max(0, this.window - this.bufferedEvents);
    const { from, mode } = this.resumePoint();
    const frame: SubscribeFrame = {
      type: 'subscribe',
      sub: this.sub,
      stream: this.spec.stream,
      mode,
      credit: this.outstanding,
    };
    if (from !== undefined) frame.from = from;
    if (this.spec.filter !== undefined) frame.filter = this.spec.filter;
    sender.send(frame);
  }

  /**
   * The session ended. A cold subscription that already got `caught-up` has every event it will
   * get, so it completes instead of resubscribing.
   */
  detach(): void {
    this.sender = undefined;
    if (this.state === 'open' && this.spec.mode === 'cold' && this.caughtUp) this.finish(new Signal('complete', 0));
  }

  /** An `events` frame. */
  onEvents(events: readonly StoredEvent[]): void {
    if (this.state !== 'open') return;
    this.started = true;
    // Each used credit, duplicates too; a server sending beyond its credit is not given more.
    this.outstanding = Math.max(0, this.outstanding - events.length);
    for (const event of events) {
      const position = this.byPosition ? event.pos : event.seq;
      if (this.lastAccepted !== undefined && position <= this.lastAccepted) continue;
      this.lastAccepted = position;
      this.buffer.push(event);
      this.bufferedEvents += 1;
    }
    this.drain();
    this.grant();
  }

  /** A `caught-up` frame. */
  onCaughtUp(at: number): void {
    if (this.state !== 'open') return;
    this.started = true;
    this.caughtUp = true;
    this.examinedAt = Math.max(this.examinedAt ?? 0, at);
    this.buffer.push(new Signal('caught-up', at));
    this.drain();
  }

  /** A `fell-behind` frame. */
  onFellBehind(at: number): void {
    if (this.state !== 'open') return;
    this.started = true;
    this.examinedAt = Math.max(this.examinedAt ?? 0, at);
    this.buffer.push(new Signal('fell-behind', at));
    this.drain();
  }

  /** A `complete` frame: the consumer completes after the buffered events. */
  onComplete(): void {
    if (this.state !== 'open') return;
    this.finish(new Signal('complete', 0));
  }

  /**
   * An `error` frame with this subscription's `sub` (SPEC 6.5.11). Before the subscription's first
   * frame on this session it refuses the `subscribe`; after it, `bad-frame`, `forbidden`,
   * `protocol` and `limit` answer a frame of ours other than the subscribe (this client sends
   * credit only after a first frame) and leave it going, and any other code ends it.
   */
  onServerError(error: TauonError): void {
    if (this.started && ANSWERS_TO_OTHER_FRAMES.has(error.code)) return;
    this.onError(error);
  }

  /** The subscription fails (a refusal, the server ending it, or the client giving up): the consumer errors after the buffered events. */
  onError(error: TauonError): void {
    if (this.state !== 'open') return;
    // Should the server still hold it, stop it sending; unsubscribe is idempotent.
    this.sender?.send({ type: 'unsubscribe', sub: this.sub });
    this.finish(new Signal('error', 0, error));
  }

  /** The consumer became ready (an iterator's pull): hand over what is buffered and return credit. */
  pull(): void {
    this.drain();
    this.grant();
  }

  /** The consumer went away: sends `unsubscribe` if connected; the consumer is not told. */
  cancel(): void {
    if (this.state === 'ended') return;
    const wasOpen = this.state === 'open';
    this.state = 'ended';
    this.buffer.clear();
    this.bufferedEvents = 0;
    if (wasOpen) this.sender?.send({ type: 'unsubscribe', sub: this.sub });
    this.sender = undefined;
    this.onEnded(this);
  }

  private finish(terminal: Signal): void {
    this.state = 'ending';
    this.buffer.push(terminal);
    this.drain();
  }

  private drain(): void {
    if (this.draining) return; // a consumer's callback led back here; the outer loop goes on
    this.draining = true;
    try {
      while (this.state !== 'ended') {
        const item = this.buffer.peek();
        if (item === undefined) break;
        if (item instanceof Signal) {
          this.buffer.shift();
          this.deliverSignal(item);
          continue;
        }
        if (!this.consumer.ready()) break;
        this.buffer.shift();
        this.bufferedEvents -= 1;
        this.consumer.event(item);
        this.grant();
      }
    } finally {
      this.draining = false;
    }
  }

  private deliverSignal(signal: Signal): void {
    switch (signal.kind) {
      case 'caught-up':
      case 'fell-behind':
        this.consumer.signal(signal.kind, signal.at);
        return;
      case 'complete':
        this.end();
        this.consumer.complete();
        return;
      case 'error':
        this.end();
        this.consumer.error(signal.error as TauonError);
        return;
    }
  }

  private end(): void {
    this.state = 'ended';
    this.buffer.clear();
    this.bufferedEvents = 0;
    this.sender = undefined;
    this.onEnded(this);
  }

  /** Returns credit once at least half the window is free (neither held by the server nor buffered here). */
  private grant(): void {
    if (this.state !== 'open' || this.sender === undefined) return;
    const n = this.window - this.outstanding - this.bufferedEvents;
    if (n <= 0 || n * 2 < this.window) return;
    if (this.spec.mode === 'cold' && this.caughtUp) return; // nothing more will come
    this.outstanding += n;
    this.sender.send({ type: 'credit', sub: this.sub, n });
  }
}

/** The codes of an error with `sub` that answers a frame other than the subscribe, after which a started subscription goes on (SPEC 6.5.11). */
const ANSWERS_TO_OTHER_FRAMES: ReadonlySet<string> = new Set(['bad-frame', 'forbidden', 'protocol', 'limit']);
