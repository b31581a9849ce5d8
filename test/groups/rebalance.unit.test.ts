import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GroupState } from '../../server-reference/groups/group-store.js';
import { nextGroupState, type LiveMember, type LocalView, type PartitionReport } from '../../server-reference/groups/rebalance.js';

const NOW = 1_000_000;

function emptyGroup(partitions: number): GroupState {
  return {
    v: 1,
    stream: 'orders',
    filter: null,
    partitions,
    created: 0,
    lastGen: 0,
    members: {},
    parts: Array.from({ length: partitions }, () => ({ owner: null, gen: 0, revoking: false, checkpoint: 0, replayed: 0 })),
    replay: 0,
  };
}

function view(host: string, alive: Record<string, number>, extra: Partial<LocalView> = {}): LocalView {
  const members = new Map<string, LiveMember>(Object.entries(alive).map(([id, joined]) => [id, { leaseMs: 1000, lastHeard: NOW, joined }]));
  return { now: NOW, host, alive: members, releases: new Map(), checkpoints: new Map(), replayed: new Map(), ...extra };
}

function owners(state: GroupState): Record<string, number[]> {
  const byOwner: Record<string, number[]> = {};
  state.parts.forEach((part, index) => {
    if (part.owner !== null) (byOwner[part.owner] ??= []).push(index);
  });
  return byOwner;
}

/** Releases every revoking partition, as their owners would once idle. */
function releaseRevoking(state: GroupState, host: string, alive: Record<string, number>): GroupState {
  const releases = new Map<number, PartitionReport>();
  state.parts.forEach((part, index) => {
    if (part.revoking && part.owner !== null) releases.set(index, { member: part.owner, gen: part.gen, checkpoint: part.checkpoint });
  });
  return nextGroupState(state, view(host, alive, { releases }));
}

describe('nextGroupState', () => {
  it('gives every partition of a new group to its only member, each with a new generation', () => {
    const state = nextGroupState(emptyGroup(4), view('s1', { a: 1 }));
    expect(owners(state)).toEqual({ a: [0, 1, 2, 3] });
    expect(state.parts.map((p) => p.gen)).toEqual([1, 2, 3, 4]);
    expect(state.lastGen).toBe(4);
    expect(state.members.a).toEqual({ expires: NOW + 1000, leaseMs: 1000, host: 's1', joined: 1 });
  });

  it('revokes from the member over its share, and hands a partition over only once it is released', () => {
    let state = nextGroupState(emptyGroup(4), view('s1', { a: 1 }));
    state = nextGroupState(state, view('s1', { a: 1, b: 2 }));
    expect(state.parts.filter((p) => p.revoking).length).toBe(2);
    expect(owners(state)).toEqual({ a: [0, 1, 2, 3] });
    state = releaseRevoking(state, 's1', { a: 1, b: 2 });
    expect(owners(state)).toEqual({ a: [0, 1], b: [2, 3] });
    expect(state.parts.map((p) => p.gen)).toEqual([1, 2, 5, 6]);
  });

  it('frees the partitions of a member that left, keeping its last checkpoint, and of one whose lease lapsed', () => {
    let state = nextGroupState(emptyGroup(2), view('s1', { a: 1, b: 2 }));
    const bPart = owners(state).b![0]!;
    const releases = new Map([[bPart, { member: 'b', gen: state.parts[bPart]!.gen, checkpoint: 42 }]]);
    state = nextGroupState(state, view('s1', { a: 1 }, { releases }));
    expect(owners(state)).toEqual({ a: [0, 1] });
    expect(state.parts[bPart]!.checkpoint).toBe(42);
    // a lapses: another server sees its lease run out.
    const later = { ...view('s2', {}), now: NOW + 5000 };
    state = nextGroupState(state, later);
    expect(state.members).toEqual({});
    expect(owners(state)).toEqual({});
  });

  it('fences reports of a generation the member no longer holds', () => {
    let state = nextGroupState(emptyGroup(1), view('s1', { a: 1 }));
    const checkpoints = new Map([[0, { member: 'a', gen: 99, checkpoint: 10 }]]);
    state = nextGroupState(state, view('s1', { a: 1 }, { checkpoints }));
    expect(state.parts[0]!.checkpoint).toBe(0);
  });

  it('frees a member\u2019s partitions when it joins anew (a reconnect to another server)', () => {
    let state = nextGroupState(emptyGroup(2), view('s1', { a: 1 }));
    state = nextGroupState(state, view('s2', { a: 7 }));
    expect(state.members.a!.host).toBe('s2');
    expect(owners(state)).toEqual({ a: [0, 1] });
    expect(state.parts.map((p) => p.gen)).toEqual([3, 4]);
  });

  it('converges from any history to a balanced assignment with one owner per partition and generations that only grow', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 24 }),
        fc.array(fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { maxLength: 5 }), { minLength: 1, maxLength: 8 }),
        (partitions, rounds) => {
          let state = emptyGroup(partitions);
          for (const members of rounds) {
            const alive = Object.fromEntries(members.map((id) => [id, 1]));
            const before = state;
            state = nextGroupState(state, view('s1', alive));
            state = releaseRevoking(state, 's1', alive);
            state.parts.forEach((part, index) => {
              expect(part.gen).toBeGreaterThanOrEqual(before.parts[index]!.gen);
              if (part.owner !== null) expect(members).toContain(part.owner);
            });
          }
          const last = rounds.at(-1)!;
          const held = owners(state);
          const shares = last.map((id) => held[id]?.length ?? 0);
          if (last.length === 0) expect(held).toEqual({});
          else {
            expect(shares.reduce((a, b) => a + b, 0)).toBe(partitions);
            expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
            expect(state.parts.every((part) => !part.revoking)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
