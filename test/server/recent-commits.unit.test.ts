import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../protocol/frames.js';
import { CommitView } from '../../server-reference/commit-view.js';
import { RecentCommits } from '../../server-reference/recent-commits.js';

let nextPos = 1;
const seqs = new Map<string, number>();
/** A commit of events to the given streams, in order, numbered on from the previous one. */
function commit(serial: number, ...streams: string[]): CommitView {
  const previousHead = nextPos - 1;
  const events = streams.map((stream): StoredEvent => {
    const seq = (seqs.get(stream) ?? 0) + 1;
    seqs.set(stream, seq);
    return { id: `e${nextPos}`, type: 'T', stream, seq, pos: nextPos++, tx: serial, recorded: 0, data: null };
  });
  return new CommitView(events, previousHead, serial);
}

describe('RecentCommits', () => {
  it('keeps the newest commits up to its event count, the newest whatever its size, by serial', () => {
    const recent = new RecentCommits(5);
    const commits = [commit(1, 'a', 'a'), commit(2, 'a', 'b'), commit(3, 'b'), commit(4, 'a', 'a', 'a')];
    for (const c of commits) recent.add(c);
    expect(recent.span).toEqual([3, 4]);
    expect(recent.at(2)).toBeUndefined();
    expect(recent.at(3)).toBe(commits[2]);
    expect(recent.at(5)).toBeUndefined();
    const big = commit(5, 'a', 'a', 'a', 'a', 'a', 'a');
    recent.add(big);
    expect(recent.span).toEqual([5, 5]);
    // A serial that does not follow on (a commit the server did not keep) starts afresh.
    const later = commit(9, 'c');
    recent.add(later);
    expect(recent.span).toEqual([9, 9]);
    recent.clear();
    expect(recent.span).toBeUndefined();
    expect(recent.at(9)).toBeUndefined();
  });

  it('stays bounded and answers by serial after many commits', () => {
    const recent = new RecentCommits(100);
    for (let serial = 1; serial <= 5_000; serial++) recent.add(commit(serial, 'many'));
    expect(recent.span).toEqual([4_901, 5_000]);
    expect(recent.at(4_950)?.serial).toBe(4_950);
    expect(recent.at(4_900)).toBeUndefined();
  });

  it('finds where a stream or a pattern resumes after a cursor, or that the kept commits do not reach back to it', () => {
    const recent = new RecentCommits(100);
    const a = commit(1, 'x', 'y');
    const b = commit(2, 'y');
    const c = commit(3, 'x', 'x');
    for (const each of [a, b, c]) recent.add(each);
    const x = { kind: 'stream', stream: 'x' } as const;
    const all = { kind: 'prefix', prefix: '' } as const;
    const xSeq = c.events[0]!.seq;
    expect(recent.startFor(x, xSeq - 1)).toBe(3);
    expect(recent.startFor(x, xSeq - 2)).toBe(1);
    expect(recent.startFor(x, xSeq - 3)).toBeUndefined();
    const y = { kind: 'stream', stream: 'y' } as const;
    const ySeq = a.events[1]!.seq;
    expect(recent.startFor(y, ySeq - 1)).toBe(1);
    expect(recent.startFor(y, ySeq)).toBe(2);
    expect(recent.startFor(y, ySeq + 1)).toBe(2); // at the head: b's only event of y is behind it
    expect(recent.startFor({ kind: 'stream', stream: 'none' }, 0)).toBeUndefined();
    // Whether they reach back at all, from the oldest commit: what a subscription without credit
    // asks to tell whether keeping them could serve it.
    expect(recent.reaches(x, xSeq - 2)).toBe(true);
    expect(recent.reaches(x, xSeq - 3)).toBe(false);
    expect(recent.reaches({ kind: 'stream', stream: 'none' }, 0)).toBe(false);
    expect(recent.reaches(all, a.previousHead!)).toBe(true);
    expect(recent.reaches(all, a.previousHead! - 1)).toBe(false);
    expect(new RecentCommits(100).reaches(x, 0)).toBe(false);
    expect(new RecentCommits(100).reaches(all, 0)).toBe(false);
    // A stream whose events lie past the first few dozen kept commits: it may be reached
    // (startFor walks them all and decides); within them and absent: it is not.
    const quiet = new RecentCommits(1_000);
    for (let serial = 1; serial <= 40; serial++) quiet.add(commit(serial, 'busy'));
    const q = { kind: 'stream', stream: 'quiet' } as const;
    expect(quiet.reaches(q, 0)).toBe(true);
    quiet.add(commit(41, 'quiet'));
    expect(quiet.reaches(q, 0)).toBe(true);
    expect(quiet.startFor(q, 0)).toBe(41);
    const few = new RecentCommits(1_000);
    for (let serial = 1; serial <= 10; serial++) few.add(commit(serial, 'busy'));
    expect(few.reaches(q, 0)).toBe(false);
    expect(c.resumeIndex(x, xSeq)).toBe(1);
    expect(c.resumeIndex(x, xSeq + 1)).toBe(2);
    expect(c.resumeIndex(x, xSeq - 2)).toBeUndefined(); // a gap: seq xSeq - 1 is not in c
    expect(b.resumeIndex(x, 0)).toBe(0); // nothing of x in b
    expect(recent.startFor(all, a.previousHead!)).toBe(1);
    expect(recent.startFor(all, c.events[0]!.pos)).toBe(3);
    expect(recent.startFor(all, a.previousHead! - 1)).toBeUndefined();
    expect(c.resumeIndex(all, c.events[0]!.pos)).toBe(1);
    expect(b.resumeIndex(all, b.previousHead! - 1)).toBeUndefined();
    expect(new CommitView(b.events, undefined, 2).resumeIndex(all, b.previousHead!)).toBeUndefined();
  });
});
