import { randomUUID } from 'node:crypto';
import { TauonError } from '../../protocol/errors.js';
import type { AckFrame, ConsumeFrame, GroupInfo, GroupSummary, NackFrame, ReleaseFrame } from '../../protocol/frames.js';
import type { InternalErrors } from '../internal-errors.js';
import { headOf, parseSelector } from '../selector.js';
import type { EventStore } from '../stores/event-store.js';
import { loadOrCreateGroup } from './group-definition.js';
import type { GroupState, GroupStore } from './group-store.js';
import { LocalGroup, type GroupHost } from './local-group.js';
import { LocalMember, type MemberLink, type MemberSettings } from './local-member.js';

/**
 * The most groups one server serves at once, and members one group has: every group served costs
 * a timer and a few document reads a second, and every member a part of its document, so that no
 * client can make a server spend without bound (SPEC 17.3: `limit`).
 */
export const MAX_SERVED_GROUPS = 1000;
export const MAX_GROUP_MEMBERS = 1000;

/** Defaults of `consume` (SPEC 17.3). */
export const GROUP_DEFAULTS = { maxUnacked: 1000, ackTimeoutMs: 30_000, maxDeliveries: 10, leaseMs: 10_000 } as const;

/** A member's handle for its session: credit, acks, and leaving. */
export interface GroupConsumer {
  readonly member: LocalMember;
  addCredit(n: number): void;
  readonly outstandingCredit: number;
  ack(frame: AckFrame): void;
  nack(frame: NackFrame): void;
  release(frame: ReleaseFrame): void;
  /** Leaves the group (unsubscribe, or the session closed). */
  close(): void;
}

/**
 * The consumer groups of one server (SPEC 17): the groups with members connected here, and the
 * queries about all groups of the store. Servers in front of one store coordinate through the
 * store's GroupStore only; each has its own instance id.
 */
export class GroupsEngine implements GroupHost {
  readonly instance = randomUUID();
  private readonly open = new Map<string, LocalGroup>();
  /** Groups being opened, so that concurrent first consumes share one. */
  private readonly opening = new Map<string, Promise<LocalGroup>>();
  private readonly stopCommits: () => void;
  private closed = false;

  constructor(
    readonly store: EventStore,
    readonly groups: GroupStore,
    readonly errors: InternalErrors,
  ) {
    this.stopCommits = store.onCommit(() => {
      for (const group of this.open.values()) group.committed();
    });
  }

  /** Joins the group named by the frame; resolves once `assigned` was sent. */
  async consume(frame: ConsumeFrame, link: MemberLink, credit: number): Promise<GroupConsumer> {
    if (this.closed) throw new TauonError('overloaded', 'the server is closing');
    const settings: MemberSettings = {
      member: frame.member ?? randomUUID(),
      maxUnacked: frame.maxUnacked ?? GROUP_DEFAULTS.maxUnacked,
      ackTimeoutMs: frame.ackTimeoutMs ?? GROUP_DEFAULTS.ackTimeoutMs,
      maxDeliveries: frame.maxDeliveries ?? GROUP_DEFAULTS.maxDeliveries,
      leaseMs: frame.leaseMs ?? GROUP_DEFAULTS.leaseMs,
    };
    let group: LocalGroup;
    let member: LocalMember;
    // A group whose last member here just left ends; one that ended while this consume joined it
    // is opened again.
    do {
      group = await this.groupFor(frame);
      if (group.memberCount >= MAX_GROUP_MEMBERS) throw new TauonError('limit', `group "${frame.group}" has ${MAX_GROUP_MEMBERS} members, the most it may have`);
      member = new LocalMember(frame.sub, settings, link, group.nextJoined(), credit);
      await group.join(member);
      if (this.closed) throw new TauonError('overloaded', 'the server is closing');
    } while (group.isEnded);
    return {
      member,
      addCredit: (n) => group.addCredit(member, n),
      get outstandingCredit() {
        return member.credit;
      },
      ack: (ack) => group.ack(member, ack),
      nack: (nack) => group.nack(member, nack),
      release: (release) => group.release(member, release),
      close: () => group.leave(member),
    };
  }

  private async groupFor(frame: ConsumeFrame): Promise<LocalGroup> {
    for (;;) {
      const open = this.open.get(frame.group);
      if (open !== undefined && !open.isEnded) {
        // The definition is checked against the document, as for a group opened anew.
        await loadOrCreateGroup(this.groups, this.store, frame, open.selector);
        if (!open.isEnded) return open;
        continue;
      }
      const opening = this.opening.get(frame.group);
      if (opening !== undefined) {
        await opening;
        continue;
      }
      if (this.open.size + this.opening.size >= MAX_SERVED_GROUPS) {
        throw new TauonError('limit', `this server serves at most ${MAX_SERVED_GROUPS} consumer groups at once`);
      }
      const made = (async () => {
        const loaded = await loadOrCreateGroup(this.groups, this.store, frame, parseSelector(frame.stream));
        const group = new LocalGroup(this, frame.group, loaded);
        this.open.set(frame.group, group);
        this.shareReadAhead();
        return group;
      })();
      this.opening.set(frame.group, made);
      try {
        return await made;
      } finally {
        this.opening.delete(frame.group);
      }
    }
  }

  disposed(group: LocalGroup): void {
    if (this.open.get(group.name) !== group) return;
    this.open.delete(group.name);
    this.shareReadAhead();
  }

  get servedGroups(): number {
    return this.open.size;
  }

  /** Every group served here takes its share of the server's read-ahead anew. */
  private shareReadAhead(): void {
    for (const group of this.open.values()) group.shareReadAhead();
  }

  /** Every group of the store, in brief. */
  async list(): Promise<GroupSummary[]> {
    const names = await this.groups.list();
    const summaries: GroupSummary[] = [];
    for (const name of names) {
      const info = await this.info(name);
      if (info !== undefined) summaries.push(summaryOf(info));
    }
    return summaries;
  }

  /** One group in full, or undefined when there is none of that name. */
  async info(name: string): Promise<GroupInfo | undefined> {
    const loaded = await this.groups.load(name);
    if (loaded === undefined) return undefined;
    const state = loaded.state;
    const [head, parked] = await Promise.all([headOf(this.store, parseSelector(state.stream)), this.groups.parkedCounts(name)]);
    return infoOf(name, state, head, parked, Date.now());
  }

  /** The selector of a group, or undefined when there is none of that name (for authorization). */
  async selectorOf(name: string): Promise<string | undefined> {
    return (await this.groups.load(name))?.state.stream;
  }

  /** Asks every partition's owner to deliver its parked events again; resolves with how many are parked. */
  async replayParked(name: string): Promise<number> {
    for (;;) {
      const loaded = await this.groups.load(name);
      if (loaded === undefined) throw new TauonError('not-found', `no consumer group "${name}"`);
      const revision = await this.groups.save(name, { ...loaded.state, replay: loaded.state.replay + 1 }, loaded.revision);
      if (revision === undefined) continue;
      let parked = 0;
      for (const count of (await this.groups.parkedCounts(name)).values()) parked += count;
      return parked;
    }
  }

  /** How many groups the store keeps. */
  async count(): Promise<number> {
    return (await this.groups.list()).length;
  }

  /**
   * Stops every group here (the server is closing, its sessions closed), once each has written
   * its members' leaving: the store must stay open until this resolves.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.stopCommits();
    await Promise.all([...this.open.values()].map((group) => group.close()));
  }
}

function infoOf(name: string, state: GroupState, head: number, parked: ReadonlyMap<number, number>, now: number): GroupInfo {
  const partitionList = state.parts.map((part, index) => ({
    part: index,
    owner: part.owner,
    gen: part.gen,
    ...(part.revoking ? { revoking: true } : {}),
    checkpoint: part.checkpoint,
    head,
    lag: Math.max(0, head - part.checkpoint),
    parked: parked.get(index) ?? 0,
  }));
  const memberList = Object.entries(state.members)
    .filter(([, member]) => member.expires >= now)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([member, entry]) => ({
      member,
      expires: entry.expires,
      parts: partitionList.filter((part) => part.owner === member).map((part) => part.part),
    }));
  return {
    group: name,
    stream: state.stream,
    ...(state.filter === null ? {} : { filter: state.filter }),
    partitions: state.partitions,
    members: memberList.length,
    lag: partitionList.reduce((sum, part) => sum + part.lag, 0),
    parked: partitionList.reduce((sum, part) => sum + part.parked, 0),
    created: state.created,
    head,
    memberList,
    partitionList,
  };
}

function summaryOf(info: GroupInfo): GroupSummary {
  const { group, stream, filter, partitions, members, lag, parked } = info;
  return { group, stream, ...(filter === undefined ? {} : { filter }), partitions, members, lag, parked };
}
