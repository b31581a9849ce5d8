import { Observable } from 'rxjs';
import type { Subscriber } from 'rxjs';
import type { TauonError } from '../protocol/errors.js';
import type { GroupMember, MemberBehaviour, MemberConsumer } from './group-member.js';
import type { OpenMember } from './group-observable.js';
import type { Delivery, EventHandler, GroupStatusItem, ProcessContext, ProcessItem } from './group-types.js';

/** The server parks an event after this many deliveries when the consume names no `maxDeliveries` (SPEC 17). */
export const DEFAULT_MAX_DELIVERIES = 10;

/** Handlers running at once when `process` is not told. */
export const DEFAULT_CONCURRENCY = 16;

/**
 * How a processor takes deliveries: it holds a partition's events back while one of them runs or
 * waits for its retry, so credit returns as they arrive (the retry must find credit), and the
 * server's `maxUnacked` bounds what waits; a redelivery of an event being processed (its ack
 * timeout passed) is dropped, so that no handler runs twice for one event at once.
 */
const PROCESSOR_BEHAVIOUR: MemberBehaviour = { creditOn: 'receipt', redeliverHandedOut: false };

/** What a processor needs besides the handler. */
export interface ProcessorSettings {
  readonly concurrency: number;
  /** The consume's `maxDeliveries` (or the server's default): a failure at that delivery is the last. */
  readonly maxDeliveries: number;
}

/**
 * `process`: a cold Observable that joins the group while subscribed and runs `handler` for each
 * event, acknowledging it when the handler resolves and nacking it (a retry after the server's
 * backoff) when it rejects or throws. It emits the member's status and the handler's failures.
 * Unsubscribing stops handing out events, lets the running handlers finish (and their events be
 * acknowledged), then leaves the group.
 */
export function processObservable(open: OpenMember, handler: EventHandler, settings: ProcessorSettings): Observable<ProcessItem> {
  return new Observable<ProcessItem>((subscriber) => {
    const processor = new GroupProcessor(handler, settings, subscriber);
    processor.start(open);
    return () => {
      processor.stop();
    };
  });
}

/** The retry a partition waits for before it goes on: the nacked event at `position`, at `gen`. */
interface AwaitedRetry {
  readonly gen: number;
  readonly position: number;
}

/**
 * Runs a handler over one member's deliveries: partitions in parallel (up to `concurrency`
 * handlers), each partition strictly in order. A partition's next event starts only after the
 * previous one was acknowledged; after a failure it waits for that event's redelivery (which
 * comes back below what is queued) unless that was its last delivery (the server parks it).
 */
class GroupProcessor implements MemberConsumer {
  private member: GroupMember | undefined;
  private subscriber: Subscriber<ProcessItem> | undefined;
  private running = 0;
  /** Partitions with a handler running (of any generation: an aborted handler still runs). */
  private readonly busy = new Set<number>();
  private readonly awaiting = new Map<number, AwaitedRetry>();
  private stopping = false;

  constructor(
    private readonly handler: EventHandler,
    private readonly settings: ProcessorSettings,
    subscriber: Subscriber<ProcessItem>,
  ) {
    this.subscriber = subscriber;
  }

  start(open: OpenMember): void {
    this.member = open(this, PROCESSOR_BEHAVIOUR);
  }

  /** Unsubscribed: nothing more starts; the member leaves once the running handlers are done. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.subscriber = undefined;
    if (this.running === 0) this.member?.cancel();
  }

  ready(part: number, gen: number, position: number): boolean {
    if (this.stopping || this.running >= this.settings.concurrency || this.busy.has(part)) return false;
    const awaited = this.awaiting.get(part);
    if (awaited === undefined) return true;
    if (awaited.gen !== gen) {
      // The partition changed hands since: its new owner starts from the checkpoint.
      this.awaiting.delete(part);
      return true;
    }
    return position <= awaited.position;
  }

  delivery(delivery: Delivery): void {
    this.running += 1;
    this.busy.add(delivery.part);
    const context: ProcessContext = {
      position: delivery.position,
      part: delivery.part,
      gen: delivery.gen,
      deliveries: delivery.deliveries,
      signal: delivery.signal,
    };
    // An async function: a handler that throws at once fails like one that rejects.
    const run = async (): Promise<unknown> => await this.handler(delivery.event, context);
    run().then(
      () => {
        this.settled(delivery, context, true, undefined);
      },
      (error: unknown) => {
        this.settled(delivery, context, false, error);
      },
    );
  }

  status(item: GroupStatusItem): void {
    this.subscriber?.next(item);
  }

  complete(): void {
    this.subscriber?.complete();
  }

  error(error: TauonError): void {
    this.subscriber?.error(error);
  }

  private settled(delivery: Delivery, context: ProcessContext, succeeded: boolean, error: unknown): void {
    this.running -= 1;
    this.busy.delete(delivery.part);
    const awaited = this.awaiting.get(delivery.part);
    const wasAwaited = awaited !== undefined && awaited.gen === delivery.gen && awaited.position === delivery.position;
    if (succeeded) {
      delivery.ack();
      if (wasAwaited) this.awaiting.delete(delivery.part);
    } else {
      const last = delivery.deliveries >= this.settings.maxDeliveries;
      const held = delivery.nack();
      if (held && !last) this.awaiting.set(delivery.part, { gen: delivery.gen, position: delivery.position });
      else if (wasAwaited) this.awaiting.delete(delivery.part);
      this.subscriber?.next({ kind: 'handler-failed', event: delivery.event, context, error, parked: held && last });
    }
    if (this.stopping) {
      if (this.running === 0) this.member?.cancel();
      return;
    }
    this.member?.pull();
  }
}
