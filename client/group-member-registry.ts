import { ConnectionClosedError, errorFromWire } from '../protocol/errors.js';
import type { TauonError } from '../protocol/errors.js';
import type { AssignedFrame, ConsumeFrame, DeliverFrame, ErrorFrame } from '../protocol/frames.js';
import { parseClientFrame } from '../protocol/validate.js';
import { asTauonError } from './errors.js';
import { consumeFrame, GroupMember } from './group-member.js';
import type { GroupSender, GroupSpec, MemberBehaviour, MemberConsumer } from './group-member.js';

/** The frames a group member receives. */
export type GroupMemberFrame = AssignedFrame | DeliverFrame | ErrorFrame;

/**
 * The client's open group members (one per `consume`): gives each a subscription id from the
 * client's one sequence, routes `assigned`, `deliver` and their errors, joins every open member
 * again when a session comes up, and keeps their leases: while any is on a session it sends a
 * `ping` every quarter of the shortest lease, and passes every pong on.
 */
export class GroupMemberRegistry {
  private readonly members = new Map<number, GroupMember>();
  private sender: GroupSender | undefined;
  private closedWith: TauonError | undefined;
  private pingTimer: ReturnType<typeof setTimeout> | undefined;
  private pingEvery = 0;

  /** @param nextSub the client's subscription ids, shared with plain subscriptions. */
  constructor(private readonly nextSub: () => number) {}

  /** How many members are open. */
  get size(): number {
    return this.members.size;
  }

  /** True when `sub` is a member's. */
  has(sub: number): boolean {
    return this.members.has(sub);
  }

  /**
   * Opens a member; it joins at once when a session is up, else when one comes up. A consume the
   * protocol does not allow fails at once with a `bad-frame` error; once the client is closed,
   * every one fails at once with `ConnectionClosedError`.
   */
  open(spec: GroupSpec, consumer: MemberConsumer, behaviour: MemberBehaviour): GroupMember {
    const member = new GroupMember(this.nextSub(), spec, consumer, behaviour, (ended) => {
      if (this.members.get(ended.sub) === ended) this.members.delete(ended.sub);
      this.schedulePings();
    });
    const refusal = this.closedWith ?? checkSpec(spec);
    if (refusal !== undefined) {
      member.onError(refusal);
      return member;
    }
    this.members.set(member.sub, member);
    if (this.sender !== undefined) member.attach(this.sender);
    this.schedulePings();
    return member;
  }

  /** A session came up: every open member joins on it, in the order they were opened. */
  attach(sender: GroupSender): void {
    this.sender = sender;
    for (const member of [...this.members.values()]) {
      if (this.sender !== sender) return; // a consumer's callback ended the session meanwhile
      member.attach(sender);
    }
    this.schedulePings();
  }

  /** The session ended: every member loses its partitions. */
  detach(): void {
    this.sender = undefined;
    this.schedulePings();
    for (const member of [...this.members.values()]) member.detach();
  }

  /** Routes a member's frame; frames of a member that ended are ignored. */
  route(frame: GroupMemberFrame): void {
    if (frame.sub === undefined) return;
    const member = this.members.get(frame.sub);
    if (member === undefined) return;
    switch (frame.type) {
      case 'assigned':
        member.onAssigned(frame);
        return;
      case 'deliver':
        member.onDeliver(frame);
        return;
      case 'error':
        member.onServerError(errorFromWire(frame.code, frame.message, frame.details));
        return;
    }
  }

  /** A pong of a ping sent at `sentAt` came back. */
  onPong(sentAt: number): void {
    for (const member of [...this.members.values()]) member.onPong(sentAt);
  }

  /** Fails every open member with `error` (the store changed): none joins on the next session. */
  failAll(error: TauonError): void {
    for (const member of [...this.members.values()]) {
      member.detach();
      member.onError(error);
    }
    this.members.clear();
    this.schedulePings();
  }

  /** The client closed: completes every member (`error` undefined) or fails them; later ones fail at once. */
  endAll(error?: TauonError): void {
    this.sender = undefined;
    this.closedWith = error ?? new ConnectionClosedError('the client is closed');
    for (const member of [...this.members.values()]) {
      member.detach();
      if (error === undefined) member.onComplete();
      else member.onError(error);
    }
    this.schedulePings();
  }

  /** Keeps one ping timer running at a quarter of the shortest lease while any member is on a session. */
  private schedulePings(): void {
    let shortest = Number.POSITIVE_INFINITY;
    if (this.sender !== undefined) {
      for (const member of this.members.values()) shortest = Math.min(shortest, member.leaseMs);
    }
    const every = Number.isFinite(shortest) ? Math.max(1, Math.floor(shortest / 4)) : 0;
    if (every === this.pingEvery && (every === 0) === (this.pingTimer === undefined)) return;
    clearTimeout(this.pingTimer);
    this.pingTimer = undefined;
    this.pingEvery = every;
    if (every > 0) this.armPing();
  }

  private armPing(): void {
    this.pingTimer = setTimeout(() => {
      this.pingTimer = undefined;
      if (this.sender === undefined || this.pingEvery === 0) return;
      this.sender.ping();
      this.armPing();
    }, this.pingEvery);
  }
}

/**
 * Why a member's `consume` cannot be sent, or undefined when it can. Checked once, before it is
 * queued: a frame that cannot be encoded would otherwise fail only when it is (re)sent, in the
 * middle of a resume.
 */
function checkSpec(spec: GroupSpec): TauonError | undefined {
  const probe: ConsumeFrame = consumeFrame(1, spec, 0);
  try {
    parseClientFrame(probe);
    return undefined;
  } catch (error) {
    return asTauonError(error, 'bad-frame', 'the consume is not a valid frame');
  }
}
