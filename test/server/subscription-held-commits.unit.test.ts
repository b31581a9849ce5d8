import { describe, expect, it } from 'vitest';
import type { ServerFrame, StoredEvent } from '../../protocol/frames.js';
import { CommitView } from '../../server-reference/commit-view.js';
import { RecentCommits } from '../../server-reference/recent-commits.js';
import { parseSelector } from '../../server-reference/selector.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { Subscription } from '../../server-reference/subscription.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A subscription served as the server serves it (the recent commits, a real store), with the
 * server's fan-out replaced by one that holds back the commits the test says to hold, as the
 * FanOutPacer does when a fan-out is costly.
 */
function harness() {
  const store = new MemoryStore();
  const recent = new RecentCommits(10_000);
  const frames: ServerFrame[] = [];
  let serial = 0;
  let lastPos = 0;
  let held: StoredEvent[] | undefined;
  let holding = false;
  const deliver = (events: readonly StoredEvent[]) => {
    const commit = new CommitView(events, lastPos, ++serial);
    lastPos = events[events.length - 1]!.pos;
    recent.add(commit);
    subscription.onCommit(commit);
  };
  const subscription = new Subscription(
    {
      store,
      recent,
      behindThreshold: 20,
      send: (frame) => frames.push(frame),
      sendRuns: (sub, runs) => frames.push({ type: 'events', sub, events: runs.flatMap((run) => run.events.slice(run.start, run.end)) }),
      releaseHeldCommits: () => {
        if (held === undefined) return false;
        const events = held;
        held = undefined;
        deliver(events);
        return true;
      },
      ended: () => undefined,
    },
    { sub: 1, selector: parseSelector('busy'), mode: 'hot-cold', predicate: undefined, cursor: 0, target: 0, credit: 5 },
  );
  store.onCommit((events) => {
    if (holding) held = [...(held ?? []), ...events];
    else deliver(events);
  });
  const append = (count: number) =>
    store.append([{ stream: 'busy', events: Array.from({ length: count }, (_, i) => ({ id: `e${lastPos}-${i}-${serial}`, type: 'Tick' })), expected: 'any', dedupe: false }]);
  return {
    subscription,
    frames,
    append,
    hold: (on: boolean) => (holding = on),
  };
}

describe('a subscription catching up while the fan-out holds commits back', () => {
  it('gets the held commits before it is told caught-up, so that `at` is the head of what was acknowledged', async () => {
    const { subscription, frames, append, hold } = harness();
    subscription.start();
    await settle();
    expect(frames).toEqual([{ type: 'caught-up', sub: 1, at: 0 }]);
    for (let i = 0; i < 3; i++) await append(10);
    hold(true);
    await append(10); // acknowledged, and held back from the live fan-out
    await settle();
    expect(frames.filter((frame) => frame.type === 'fell-behind')).toEqual([{ type: 'fell-behind', sub: 1, at: 5 }]);
    subscription.addCredit(100);
    await settle();
    const seqs = frames.flatMap((frame) => (frame.type === 'events' ? frame.events.map((event) => event.seq) : []));
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(frames.at(-1)).toEqual({ type: 'caught-up', sub: 1, at: 40 });
    expect(frames.filter((frame) => frame.type === 'caught-up')).toHaveLength(2);
  });
});
