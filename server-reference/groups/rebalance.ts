import { compareNames } from '../stores/name-order.js';
import type { GroupMember, GroupPartition, GroupState } from './group-store.js';

/**
 * How long after a member's lease ends by its record another server takes it as lapsed: room for
 * the skew between the servers' clocks (SPEC 17.14).
 */
export const LEASE_SKEW_MARGIN_MS = 250;

/** What one server knows of a group's members and partitions, to fold into its document. */
export interface LocalView {
  readonly now: number;
  /** This server's instance id (GroupMember.host). */
  readonly host: string;
  /** Members connected here and heard from within their lease, by id. */
  readonly alive: ReadonlyMap<string, LiveMember>;
  /** Partitions local owners give up, with their final checkpoints. */
  readonly releases: ReadonlyMap<number, PartitionReport>;
  /** Checkpoints of partitions held here. */
  readonly checkpoints: ReadonlyMap<number, PartitionReport>;
  /** Replay requests the local owners have taken up. */
  readonly replayed: ReadonlyMap<number, PartitionReport & { readonly replay: number }>;
}

export interface LiveMember {
  readonly leaseMs: number;
  /** When the member was last heard from: its lease ends leaseMs later. */
  readonly lastHeard: number;
  /** When this membership began: a member id joining anew (a reconnect) is a new membership. */
  readonly joined: number;
}

/** A partition as its local owner reports it: only taken while (owner, gen) is still so. */
export interface PartitionReport {
  readonly member: string;
  readonly gen: number;
  readonly checkpoint: number;
}

/**
 * The group's next document, from the last one read and this server's view (SPEC 17.5, 17.6):
 * leases renewed and lapsed, partitions of departed members freed, releases and checkpoints
 * taken where their owner and generation still hold (the fence), then a sticky rebalance. Pure:
 * every server folds its own view in turn, by compare-and-set, and they converge.
 */
export function nextGroupState(state: GroupState, view: LocalView): GroupState {
  const members = renewMembers(state, view);
  const parts: GroupPartition[] = state.parts.map((part, index) => {
    // The owner's reports first, while it still holds the partition: a member that leaves
    // writes its last checkpoint as it goes.
    let next = part;
    const release = view.releases.get(index);
    if (release !== undefined && holds(next, release)) {
      next = { ...next, owner: null, revoking: false, checkpoint: Math.max(next.checkpoint, release.checkpoint) };
    }
    const report = view.checkpoints.get(index);
    if (report !== undefined && holds(next, report) && report.checkpoint > next.checkpoint) next = { ...next, checkpoint: report.checkpoint };
    const replayed = view.replayed.get(index);
    if (replayed !== undefined && holds(next, replayed) && replayed.replay > next.replayed) next = { ...next, replayed: replayed.replay };
    if (next.owner !== null && (memberRecord(members, next.owner) === undefined || replaced(memberRecord(state.members, next.owner), memberRecord(members, next.owner)))) {
      next = { ...next, owner: null, revoking: false };
    }
    return next;
  });
  // A member whose lease is not being renewed on schedule (its server died, or cannot reach the
  // store) keeps what it holds until it lapses, but takes no share: what is free goes to the others.
  const renewed = Object.keys(members).filter((id) => !stale(memberRecord(members, id)!, view.now));
  const lastGen = rebalance(parts, renewed.sort(compareNames), state.lastGen);
  return { ...state, members, parts, lastGen };
}

/** The members after this server's renewals and departures, and without lapsed leases. */
function renewMembers(state: GroupState, view: LocalView): Record<string, GroupMember> {
  // No prototype: a member id may be any name, "__proto__" too.
  const members = Object.create(null) as Record<string, GroupMember>;
  for (const [id, member] of Object.entries(state.members)) {
    if (member.host === view.host && !view.alive.has(id)) continue;
    // Its own members a server knows first-hand; another server's get a margin for clock skew.
    const lapsedAt = member.host === view.host ? member.expires : member.expires + LEASE_SKEW_MARGIN_MS;
    if (lapsedAt < view.now && !view.alive.has(id)) continue;
    members[id] = member;
  }
  for (const [id, live] of view.alive) {
    const current = memberRecord(members, id);
    const expires = live.lastHeard + live.leaseMs;
    const same = current !== undefined && current.host === view.host && current.joined === live.joined;
    // Renewed when a third of the lease has passed since the last renewal: writes stay rare.
    if (same && expires - current.expires < live.leaseMs / 3 && current.expires >= view.now) continue;
    members[id] = { expires, leaseMs: live.leaseMs, host: view.host, joined: live.joined };
  }
  return members;
}

/**
 * True when a member's lease ends within a quarter of it: a member heard from is renewed when a
 * third has passed (renewMembers) and pings every quarter, so its record ends at least 5/12 of
 * the lease ahead, less the time a sync takes.
 */
function stale(member: GroupMember, now: number): boolean {
  return member.expires - now < member.leaseMs / 4;
}

/** A member's record by id, own properties only (an id may be "__proto__"). */
export function memberRecord(members: Readonly<Record<string, GroupMember>>, id: string): GroupMember | undefined {
  return Object.hasOwn(members, id) ? members[id] : undefined;
}

/** True when the member's entry is another membership than before (it joined anew, here or elsewhere). */
function replaced(before: GroupMember | undefined, after: GroupMember | undefined): boolean {
  return before !== undefined && after !== undefined && (before.host !== after.host || before.joined !== after.joined);
}

function holds(part: GroupPartition, report: PartitionReport): boolean {
  return part.owner === report.member && part.gen === report.gen;
}

/**
 * Sticky assignment, in place: each member's share is floor(P/M) or one more (the one more to
 * those holding most now, then by id in code point order); a member over its share keeps the partitions it holds up
 * to it and the rest are revoking; free partitions go to members under their share, each with a
 * new generation. Returns the last generation handed out.
 */
function rebalance(parts: GroupPartition[], memberIds: readonly string[], lastGen: number): number {
  if (memberIds.length === 0) return lastGen;
  const held = new Map<string, number[]>(memberIds.map((id) => [id, []]));
  parts.forEach((part, index) => {
    if (part.owner !== null) held.get(part.owner)?.push(index);
  });
  const base = Math.floor(parts.length / memberIds.length);
  const extra = parts.length % memberIds.length;
  const byHolding = [...memberIds].sort((a, b) => held.get(b)!.length - held.get(a)!.length || compareNames(a, b));
  const share = new Map(byHolding.map((id, rank) => [id, base + (rank < extra ? 1 : 0)]));
  const need = new Map<string, number>();
  for (const id of memberIds) {
    // Keep the partitions not being revoked first, then take back revoking ones, up to the share.
    const mine = held.get(id)!.sort((a, b) => Number(parts[a]!.revoking) - Number(parts[b]!.revoking) || a - b);
    const keep = share.get(id)!;
    mine.forEach((index, rank) => {
      const revoking = rank >= keep;
      if (parts[index]!.revoking !== revoking) parts[index] = { ...parts[index]!, revoking };
    });
    need.set(id, Math.max(0, keep - mine.length));
  }
  let gen = lastGen;
  let next = 0;
  parts.forEach((part, index) => {
    if (part.owner !== null) return;
    while (next < memberIds.length && need.get(memberIds[next]!)! === 0) next += 1;
    if (next === memberIds.length) return;
    const id = memberIds[next]!;
    need.set(id, need.get(id)! - 1);
    gen += 1;
    parts[index] = { ...part, owner: id, gen, revoking: false };
  });
  return gen;
}
