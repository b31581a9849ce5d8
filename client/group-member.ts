import { ConnectionClosedError, TauonError } from '../protocol/errors.js';
import type { AssignedFrame, ConsumeFrame, DeliverFrame, EventFilter, NackFrame, StoredEvent } from '../protocol/frames.js';
import type { FrameSender } from './frame-sender.js';
import type { Delivery, GroupStatusItem, NackOptions, PartitionAssignment } from './group-types.js';
import { PartitionAcks } from './partition-acks.js';
import { PartitionQueue } from './partition-queue.js';
import { PositionSet } from './position-set.js';

/** The feature a server announces in `welcome.features` when it serves consumer groups. */
export const GROUPS_FEATURE = 'groups';

/** The lease the server keeps when a consume names none (SPEC 17). */
export const DEFAULT_LEASE_MS = 10_000;

/** What one member of a group asks the server for. */
export interface GroupSpec {
  readonly group: string;
  /** A stream name, a prefix pattern ending in `*`, or `$all`. */
  readonly stream: string;
  readonly filter: EventFilter | undefined;
  readonly partitions: number | undefined;
  readonly from: 'start' | 'end' | undefined;
  /** The member's id, kept across reconnects. */
  readonly member: string;
  readonly maxUnacked: number | undefined;
  readonly ackTimeoutMs: number | undefined;
  readonly maxDeliveries: number | undefined;
  readonly leaseMs: number | undefined;
  /** The credit window. */
  readonly prefetch: number;
}

/** How a member hands its deliveries over. */
export interface MemberBehaviour {
  /**
   * `handover`: credit returns as events are handed out (a consumer that takes them slowly slows
   * the server down). `receipt`: as they arrive, for a consumer that holds events back on its own
   * terms (one partition waiting for a retry must not keep the credit the retry needs); the
   * server's `maxUnacked` bounds what is held then.
   */
  readonly creditOn: 'handover' | 'receipt';
  /**
   * Whether a redelivery of an event handed out and not settled yet (its ack timeout passed) is
   * handed out again (true), or dropped because it is being processed (false).
   */
  readonly redeliverHandedOut: boolean;
}

/** The session as a group member sees it: frames, pings whose pongs confirm its lease, and the server's features. */
export interface GroupSender extends FrameSender {
  /** Sends a `ping`; its `pong` reaches the client's pong listener with the time it was sent. */
  ping(): void;
  /** The server's `welcome.features`. */
  readonly features: readonly string[];
}

/** Who receives a member's deliveries and status. */
export interface MemberConsumer {
  /** True when the consumer takes this partition's event at `position` now. */
  ready(part: number, gen: number, position: number): boolean;
  delivery(delivery: Delivery): void;
  status(item: GroupStatusItem): void;
  complete(): void;
  error(error: TauonError): void;
}

/** One partition held at one generation. */
class HeldPartition {
  readonly queue = new PartitionQueue();
  readonly acks = new PartitionAcks();
  /** Positions handed out and neither acknowledged nor nacked. */
  readonly handedOut = new PositionSet();
  controller = new AbortController();
  live = true;

  constructor(
    readonly part: number,
    readonly gen: number,
    public revoking: boolean,
  ) {}
}

/** A delivery handed out: settles through the member, for its partition at its generation. */
class GroupDelivery implements Delivery {
  readonly signal: AbortSignal;

  constructor(
    private readonly member: GroupMember,
    private readonly held: HeldPartition,
    readonly event: StoredEvent,
    readonly position: number,
    readonly deliveries: number,
  ) {
    this.signal = held.controller.signal;
  }

  get part(): number {
    return this.held.part;
  }

  get gen(): number {
    return this.held.gen;
  }

  ack(): boolean {
    return this.member.ack(this.held, this.position);
  }

  nack(options?: NackOptions): boolean {
    return this.member.nack(this.held, this.position, options);
  }
}

/**
 * One member of a consumer group (one `consume`) across connections: its partitions and their
 * generations, what it has queued of each, the acknowledgements it batches, its credit, and its
 * lease as far as the client can be sure of it.
 *
 * Each session it sends `consume` (the same member id every time: a new membership, which may get
 * the same partitions back). The server's `assigned` says which partitions it holds; a partition
 * that is gone or whose generation changed is dropped with what is queued of it, and the signals
 * of its handed-out deliveries are aborted. A lost connection loses every partition at once.
 *
 * Lease: the server drops a member it has not heard from in `leaseMs`. The client knows the
 * server heard from it no later than when it sent a frame that was answered: the `consume`
 * (answered `assigned`) or a `ping` (answered `pong`). Events are handed out only before that
 * time plus `leaseMs`; past it (a process that was stopped, a network that stalls) the member
 * stops and aborts its signals until a newer pong confirms it, by which time any `assigned`
 * the server sent meanwhile has arrived (the server answers in order).
 *
 * Revoking: a partition marked revoking hands out nothing more; once every event handed out of
 * it is acknowledged or nacked the member sends its acknowledgements, then `release`.
 */
export class GroupMember {
  private readonly byPosition: boolean;
  private readonly partitions = new Map<number, HeldPartition>();
  /** Partitions this member gave up (released or fenced), by `part:gen`, so that a late `assigned` does not bring them back. */
  private readonly relinquished = new Set<string>();
  private state: 'open' | 'ended' = 'open';
  private sender: GroupSender | undefined;
  /** Whether `assigned` came on the current session. */
  private started = false;
  private memberId: string;
  private window: number;
  /** Credit the server holds on the current session. */
  private outstanding = 0;
  /** Events queued that count against the window (with `creditOn: 'handover'`). */
  private queuedForCredit = 0;
  private consumeSentAt = 0;
  /** Until when the client is sure the server keeps its lease. */
  private sureUntil = 0;
  /** True while the lease is not sure (signals aborted, nothing handed out). */
  private lapsed = false;
  private lapseTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly dirty = new Set<HeldPartition>();
  private flushScheduled = false;
  private draining = false;
  private drainAgain = false;
  /** Where the next drain of every partition starts, so that none is always last. */
  private rotation = 0;

  constructor(
    /** The subscription id, unique in the client. */
    readonly sub: number,
    readonly spec: GroupSpec,
    private readonly consumer: MemberConsumer,
    private readonly behaviour: MemberBehaviour,
    private readonly onEnded: (member: GroupMember) => void,
  ) {
    this.byPosition = spec.stream === '$all' || spec.stream.endsWith('*');
    this.window = spec.prefetch;
    this.memberId = spec.member;
  }

  /** The lease the server keeps for this member. */
  get leaseMs(): number {
    return this.spec.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /** True once the member has ended (completed, failed or cancelled). */
  get ended(): boolean {
    return this.state === 'ended';
  }

  /** True while a session is up and the member sent its `consume` on it. */
  get attached(): boolean {
    return this.sender !== undefined;
  }

  /** The partitions held now, by part. */
  assignment(): PartitionAssignment[] {
    return [...this.partitions.values()]
      .sort((a, b) => a.part - b.part)
      .map((held) => ({ part: held.part, gen: held.gen, revoking: held.revoking }));
  }

  /** A session came up: join the group on it. */
  attach(sender: GroupSender): void {
    if (this.state !== 'open') return;
    if (!sender.features.includes(GROUPS_FEATURE)) {
      this.onError(new TauonError('unsupported', 'the server does not serve consumer groups (no "groups" in welcome.features)'));
      return;
    }
    this.sender = sender;
    this.started = false;
    this.window = Math.max(1, Math.min(this.spec.prefetch, sender.limits.maxCredit));
    this.outstanding = this.window;
    this.queuedForCredit = 0;
    this.consumeSentAt = Date.now();
    sender.send(consumeFrame(this.sub, this.spec, this.outstanding));
  }

  /** The session ended: every partition is lost at once. */
  detach(): void {
    this.sender = undefined;
    if (this.state !== 'open') return;
    const held = this.partitions.size > 0;
    this.loseAll(new ConnectionClosedError('the connection was lost'));
    this.resetSession();
    if (held) this.consumer.status({ kind: 'assigned', member: this.memberId, parts: [] });
  }

  /** The server's `assigned`. */
  onAssigned(frame: AssignedFrame): void {
    if (this.state !== 'open') return;
    if (!this.started) {
      this.started = true;
      this.confirmLease(this.consumeSentAt);
    }
    this.memberId = frame.member;
    const next = new Map(frame.parts.map((part) => [part.part, part]));
    for (const held of [...this.partitions.values()]) {
      const now = next.get(held.part);
      if (now === undefined || now.gen !== held.gen) {
        this.lose(held, new TauonError('fenced', `partition ${held.part} (gen ${held.gen}) is no longer this member's`));
      }
    }
    for (const part of frame.parts) {
      if (this.relinquished.has(`${part.part}:${part.gen}`)) continue;
      const revoking = part.revoking === true;
      let held = this.partitions.get(part.part);
      if (held === undefined) {
        held = new HeldPartition(part.part, part.gen, revoking);
        if (this.lapsed) held.controller.abort(lapseError(this.leaseMs));
        this.partitions.set(part.part, held);
      } else {
        held.revoking = revoking;
      }
      if (revoking) this.markDirty(held); // released at the flush if nothing is handed out
    }
    this.consumer.status({ kind: 'assigned', member: this.memberId, parts: this.assignment() });
    this.drain(undefined);
  }

  /** The server's `deliver`. */
  onDeliver(frame: DeliverFrame): void {
    if (this.state !== 'open') return;
    this.outstanding = Math.max(0, this.outstanding - frame.events.length);
    const held = this.partitions.get(frame.part);
    if (held !== undefined && held.gen === frame.gen && held.live) {
      const events = frame.events;
      for (let index = 0; index < events.length; index += 1) {
        const event = events[index] as StoredEvent;
        const position = this.byPosition ? event.pos : event.seq;
        if (!this.behaviour.redeliverHandedOut && held.handedOut.has(position)) continue;
        if (!held.queue.offer(event, position, frame.deliveries[index] ?? 1)) continue;
        held.acks.received(position);
        if (this.behaviour.creditOn === 'handover') this.queuedForCredit += 1;
      }
      this.drain(held);
    }
    this.grant();
  }

  /**
   * An `error` with this member's `sub`. Before `assigned` it refuses the consume and ends it.
   * After it, a `fenced` naming a partition answers our ack, nack or release and drops that
   * partition; `bad-frame`, `forbidden`, `protocol` and `limit` answer another frame of ours and
   * change nothing; any other code ends it, a `fenced` without `part` too (another consume took
   * the member id, SPEC 17.5).
   */
  onServerError(error: TauonError): void {
    if (this.state !== 'open') return;
    if (!this.started) {
      this.onError(error);
      return;
    }
    const part = numberDetail(error, 'part');
    if (error.code === 'fenced' && part !== undefined) {
      const gen = numberDetail(error, 'gen');
      // A release (or ack) crossing the server's own release of a partition given up here: nothing lost.
      if (this.relinquished.has(`${part}:${gen}`)) return;
      const held = this.partitions.get(part);
      if (held !== undefined && held.gen === gen) {
        this.relinquished.add(`${held.part}:${held.gen}`);
        this.lose(held, error);
        this.consumer.status({ kind: 'fenced', part: held.part, gen: held.gen, error });
        this.consumer.status({ kind: 'assigned', member: this.memberId, parts: this.assignment() });
      } else {
        this.consumer.status({ kind: 'fenced', part, gen: gen ?? 0, error });
      }
      return;
    }
    if (ANSWERS_TO_OTHER_FRAMES.has(error.code)) return;
    this.onError(error);
  }

  /**
   * The server heard from the client no later than `sentAt` (a pong of a ping sent then): the
   * lease holds until `sentAt + leaseMs`. Pings sent before this session's `consume` say nothing
   * of this membership.
   */
  onPong(sentAt: number): void {
    if (this.state !== 'open' || !this.started || sentAt < this.consumeSentAt) return;
    this.confirmLease(sentAt);
  }

  /** The consumer became ready: hand out what is queued. */
  pull(): void {
    this.drain(undefined);
  }

  /** The consumer went away: sends the batched acknowledgements and `unsubscribe`; the consumer is not told. */
  cancel(): void {
    if (this.state === 'ended') return;
    this.flush();
    this.sender?.send({ type: 'unsubscribe', sub: this.sub });
    this.end(new ConnectionClosedError('the consumer unsubscribed'));
  }

  /** The client closed: the consumer completes. */
  onComplete(): void {
    if (this.state === 'ended') return;
    this.end(new ConnectionClosedError('the client was closed'));
    this.consumer.complete();
  }

  /** The member fails (a refusal, the server ending it, the client giving up): the consumer errors. */
  onError(error: TauonError): void {
    if (this.state === 'ended') return;
    this.sender?.send({ type: 'unsubscribe', sub: this.sub });
    this.end(error);
    this.consumer.error(error);
  }

  /** Acknowledges a delivery (see {@link Delivery.ack}). */
  ack(held: HeldPartition, position: number): boolean {
    if (!this.holds(held)) return false;
    const wasHandedOut = held.handedOut.delete(position);
    // A redelivery waiting behind it is done too.
    if (held.queue.remove(position) && this.behaviour.creditOn === 'handover') {
      this.queuedForCredit -= 1;
      this.grant();
    }
    if (held.acks.ack(position) || wasHandedOut) this.markDirty(held);
    return true;
  }

  /** Gives a delivery back (see {@link Delivery.nack}). */
  nack(held: HeldPartition, position: number, options: NackOptions | undefined): boolean {
    if (!this.holds(held)) return false;
    if (!held.handedOut.delete(position) || !held.acks.isUnacked(position)) return true; // settled already
    const frame: NackFrame = { type: 'nack', sub: this.sub, part: held.part, gen: held.gen, pos: position };
    if (options?.park !== undefined) frame.park = options.park;
    else if (options?.retryMs !== undefined) frame.retryMs = Math.max(0, Math.floor(options.retryMs));
    this.sender?.send(frame);
    this.markDirty(held); // a revoking partition may be released now
    return true;
  }

  // ---- internals ----

  private holds(held: HeldPartition): boolean {
    return held.live && this.state === 'open' && this.partitions.get(held.part) === held;
  }

  private confirmLease(sentAt: number): void {
    const until = sentAt + this.leaseMs;
    if (until <= this.sureUntil) return;
    this.sureUntil = until;
    clearTimeout(this.lapseTimer);
    this.lapseTimer = setTimeout(() => {
      this.lapseTimer = undefined;
      this.leaseSure();
    }, Math.max(1, until - Date.now()));
    if (this.lapsed) this.drain(undefined);
  }

  /**
   * True while the lease is sure. Crossing into or out of it aborts the partitions' signals (new
   * ones for what is handed out after) and tells the consumer.
   */
  private leaseSure(): boolean {
    if (this.state !== 'open' || !this.started) return false;
    const sure = Date.now() < this.sureUntil;
    if (sure && this.lapsed) {
      this.lapsed = false;
      for (const held of this.partitions.values()) {
        if (held.controller.signal.aborted) held.controller = new AbortController();
      }
      this.consumer.status({ kind: 'lease', held: true });
    } else if (!sure && !this.lapsed) {
      this.lapsed = true;
      const reason = lapseError(this.leaseMs);
      for (const held of this.partitions.values()) held.controller.abort(reason);
      this.consumer.status({ kind: 'lease', held: false });
    }
    return sure;
  }

  /** Hands out queued events to a ready consumer: of one partition (after its `deliver`), or of all. */
  private drain(only: HeldPartition | undefined): void {
    if (this.draining) {
      // A consumer's callback led back here: the outer loop goes over every partition once more.
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    try {
      let targets: HeldPartition[] | undefined = only === undefined ? undefined : [only];
      do {
        this.drainAgain = false;
        if (!this.leaseSure()) break;
        targets ??= this.rotated();
        for (const held of targets) {
          this.drainPartition(held);
          if (this.state !== 'open') return;
        }
        targets = undefined;
      } while (this.drainAgain);
    } finally {
      this.draining = false;
    }
    this.grant();
  }

  private drainPartition(held: HeldPartition): void {
    let handed = 0;
    while (held.live && !held.revoking && this.state === 'open' && !this.lapsed) {
      const next = held.queue.peek();
      if (next === undefined) break;
      if (!this.consumer.ready(held.part, held.gen, next.position)) break;
      held.queue.shift();
      handed += 1;
      held.handedOut.add(next.position);
      this.consumer.delivery(new GroupDelivery(this, held, next.event, next.position, next.deliveries));
    }
    if (this.behaviour.creditOn === 'handover') this.queuedForCredit -= handed;
  }

  /** Every partition, the starting one moving on by one each call. */
  private rotated(): HeldPartition[] {
    const list = [...this.partitions.values()];
    if (list.length < 2) return list;
    this.rotation = (this.rotation + 1) % list.length;
    return [...list.slice(this.rotation), ...list.slice(0, this.rotation)];
  }

  /** Returns credit once at least half the window is free (neither held by the server nor queued here). */
  private grant(): void {
    if (this.state !== 'open' || this.sender === undefined || !this.started) return;
    const n = this.window - this.outstanding - this.queuedForCredit;
    if (n <= 0 || n * 2 < this.window) return;
    this.outstanding += n;
    this.sender.send({ type: 'credit', sub: this.sub, n });
  }

  private markDirty(held: HeldPartition): void {
    this.dirty.add(held);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flush();
    });
  }

  /** Sends the batched acknowledgements, then releases the revoking partitions that have nothing handed out. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.dirty.size === 0) return;
    const dirty = [...this.dirty];
    this.dirty.clear();
    for (const held of dirty) {
      if (!this.holds(held) || this.sender === undefined) continue;
      // Positions only: see PartitionAcks on why no `upTo`.
      for (const batch of held.acks.take()) {
        this.sender.send({ type: 'ack', sub: this.sub, part: held.part, gen: held.gen, ...batch });
      }
      if (held.revoking && held.handedOut.size === 0) {
        this.sender.send({ type: 'release', sub: this.sub, part: held.part, gen: held.gen });
        this.relinquished.add(`${held.part}:${held.gen}`);
        this.lose(held, new TauonError('fenced', `partition ${held.part} was released to the group`));
      }
    }
  }

  /** Drops a partition: its queue (the credit it held), its pending acknowledgements, and aborts its signals. */
  private lose(held: HeldPartition, reason: TauonError): void {
    if (!held.live) return;
    held.live = false;
    const dropped = held.queue.clear();
    if (this.behaviour.creditOn === 'handover') this.queuedForCredit -= dropped;
    held.controller.abort(reason);
    this.dirty.delete(held);
    if (this.partitions.get(held.part) === held) this.partitions.delete(held.part);
    this.grant();
  }

  private loseAll(reason: TauonError): void {
    for (const held of [...this.partitions.values()]) this.lose(held, reason);
  }

  private resetSession(): void {
    this.started = false;
    this.relinquished.clear();
    this.dirty.clear();
    this.queuedForCredit = 0;
    this.outstanding = 0;
    this.sureUntil = 0;
    this.lapsed = false;
    clearTimeout(this.lapseTimer);
    this.lapseTimer = undefined;
  }

  private end(reason: TauonError): void {
    this.state = 'ended';
    this.loseAll(reason);
    this.resetSession();
    this.sender = undefined;
    this.onEnded(this);
  }
}

/** The codes of an error with `sub` that answer a frame other than the consume, after which a started member goes on (SPEC 6.5.11). */
const ANSWERS_TO_OTHER_FRAMES: ReadonlySet<string> = new Set(['bad-frame', 'forbidden', 'protocol', 'limit']);

/** The `consume` frame of a member, with `credit` as its initial credit. */
export function consumeFrame(sub: number, spec: GroupSpec, credit: number): ConsumeFrame {
  const frame: ConsumeFrame = { type: 'consume', sub, group: spec.group, stream: spec.stream, credit, member: spec.member };
  if (spec.filter !== undefined) frame.filter = spec.filter;
  if (spec.partitions !== undefined) frame.partitions = spec.partitions;
  if (spec.from !== undefined) frame.from = spec.from;
  if (spec.maxUnacked !== undefined) frame.maxUnacked = spec.maxUnacked;
  if (spec.ackTimeoutMs !== undefined) frame.ackTimeoutMs = spec.ackTimeoutMs;
  if (spec.maxDeliveries !== undefined) frame.maxDeliveries = spec.maxDeliveries;
  if (spec.leaseMs !== undefined) frame.leaseMs = spec.leaseMs;
  return frame;
}

function lapseError(leaseMs: number): TauonError {
  return new TauonError('timeout', `the member's lease (${leaseMs} ms) could not be confirmed in time`);
}

function numberDetail(error: TauonError, key: string): number | undefined {
  const value = error.details?.[key];
  return typeof value === 'number' ? value : undefined;
}
