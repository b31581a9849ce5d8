import type { TauonError } from '../../protocol/errors.js';
import type { ServerFrame } from '../../protocol/frames.js';
import type { PartitionRunner } from './partition-runner.js';

/** How the engine reaches the session of a member. */
export interface MemberLink {
  send(frame: ServerFrame): void;
  /**
   * Sends a `deliver` frame of events given as their msgpack encodings (the wire's), with how
   * many times each was delivered, read at once (SPEC 17.8).
   */
  deliver(sub: number, part: number, gen: number, events: readonly EncodedDelivery[]): void;
  /** Runs `work`, whose frames go out together (see Connection.batch). */
  batch(work: () => void): void;
  /** False while the connection holds more unsent than its bound. */
  writable(): boolean;
  /** Calls `resume` once the connection has drained. */
  whenWritable(resume: () => void): void;
  /** When the session last received a frame: any frame renews the member's lease (SPEC 17.5). */
  lastHeard(): number;
  /** Ends the member's subscription with this error (its member id was taken by another consume, SPEC 17.5). */
  end(error: TauonError): void;
}

/**
 * One event of a `deliver` frame: its msgpack encoding, `chunk[start, end)` (events of a partition
 * read together share a chunk, so that a frame copies them at once), and its delivery count.
 * The chunk is there for every event handed to {@link MemberLink.deliver}.
 */
export interface EncodedDelivery {
  readonly chunk: Uint8Array | undefined;
  readonly start: number;
  readonly end: number;
  readonly deliveries: number;
}

/** The event's encoding as a view of its own. */
export function encodingOf(event: EncodedDelivery): Uint8Array {
  if (event.chunk === undefined) throw new Error('the encoding of an event not read was asked for');
  return event.chunk.subarray(event.start, event.end);
}

/** True when the member may be sent events now: credit, room under its `maxUnacked`, a connection that drains. */
export function canTake(member: LocalMember): boolean {
  return member.credit > 0 && member.unacked < member.settings.maxUnacked && !member.waitingForDrain && !member.left;
}

/** What a `consume` asks for, with the defaults applied. */
export interface MemberSettings {
  readonly member: string;
  readonly maxUnacked: number;
  readonly ackTimeoutMs: number;
  readonly maxDeliveries: number;
  readonly leaseMs: number;
}

/** One member of a group connected to this server: one `consume` subscription of one session. */
export class LocalMember {
  /** Partitions held, by number. */
  readonly runners = new Map<number, PartitionRunner>();
  credit: number;
  /** Events delivered for the first time and not acknowledged, over all its partitions. */
  unacked = 0;
  /** Left (unsubscribed, or its session closed): its partitions are being given up. */
  left = false;
  /** The `assigned` frame last sent, as text, to send it only when it changes. */
  lastAssigned = '';
  /** Where the next delivery looks first, so that partitions take turns. */
  turn = 0;
  /** A delivery waits for the connection to drain. */
  waitingForDrain = false;

  constructor(
    readonly sub: number,
    readonly settings: MemberSettings,
    readonly link: MemberLink,
    /** When this membership began (unique per server: GroupMember.joined). */
    readonly joined: number,
    credit: number,
  ) {
    this.credit = credit;
  }

  get id(): string {
    return this.settings.member;
  }
}
