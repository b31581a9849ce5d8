import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../protocol/frames.js';
import { FanOutPacer } from '../../server-reference/fan-out-pacer.js';

let nextPos = 1;
/** A commit of `count` events to one stream, numbered on from the previous one. */
function commit(count: number): StoredEvent[] {
  return Array.from({ length: count }, (): StoredEvent => {
    const pos = nextPos++;
    return { id: `e${pos}`, type: 'T', stream: 's', seq: pos, pos, tx: pos, recorded: 0, data: null };
  });
}

/** Keeps the thread busy for `ms`: a fan-out to many subscribers takes this long. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The longest hold in these tests: longer than the server's, so that a busy machine pausing
 * the test between two calls does not let the spacing pass unseen.
 */
const MOST_HOLD_MS = 50;
/** What a costly fan-out takes here: ten times it exceeds the longest hold. */
const COSTLY_MS = 8;

/** Waits (10 s at most) until `done()` holds. */
async function until(done: () => boolean): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!done()) {
    if (performance.now() > deadline) throw new Error('timed out');
    await sleep(1);
  }
}

/** A pacer whose every fan-out is costly, and the positions of each list it delivered. */
function costlyPacer(): { pacer: FanOutPacer; delivered: number[][] } {
  const delivered: number[][] = [];
  const pacer = new FanOutPacer((events) => {
    delivered.push(events.map((event) => event.pos));
    busy(COSTLY_MS);
  }, MOST_HOLD_MS);
  return { pacer, delivered };
}

describe('FanOutPacer', () => {
  it('delivers each commit at once while fan-outs are cheap', () => {
    const delivered: number[][] = [];
    const pacer = new FanOutPacer((events) => delivered.push(events.map((event) => event.pos)));
    const commits = [commit(2), commit(1), commit(3)];
    for (const events of commits) pacer.committed(events);
    expect(delivered).toEqual(commits.map((events) => events.map((event) => event.pos)));
    pacer.stop();
  });

  it('holds the commits that come soon after a costly fan-out, then delivers them as one list, in order', async () => {
    const { pacer, delivered } = costlyPacer();
    const first = commit(1);
    pacer.committed(first);
    expect(delivered).toHaveLength(1);
    const held = [commit(2), commit(1), commit(3)];
    for (const events of held) pacer.committed(events);
    expect(delivered).toHaveLength(1); // none of them went out yet
    await until(() => delivered.length === 2);
    expect(delivered[1]).toEqual(held.flat().map((event) => event.pos));
    // The spacing is the longest hold, not ten times the cost: once it passed, the next commit
    // goes out at once again.
    await sleep(MOST_HOLD_MS + 10);
    const later = commit(1);
    pacer.committed(later);
    expect(delivered).toHaveLength(3);
    expect(delivered[2]).toEqual([later[0]!.pos]);
    pacer.stop();
  });

  it('delivers the held commits at once when asked, and only once', async () => {
    const { pacer, delivered } = costlyPacer();
    expect(pacer.releaseNow()).toBe(false);
    pacer.committed(commit(1));
    const held = commit(2);
    pacer.committed(held);
    expect(delivered).toHaveLength(1);
    expect(pacer.releaseNow()).toBe(true);
    expect(delivered).toEqual([delivered[0], held.map((event) => event.pos)]);
    expect(pacer.releaseNow()).toBe(false);
    await sleep(MOST_HOLD_MS + 10); // the hold's timer was cleared: nothing comes twice
    expect(delivered).toHaveLength(2);
    pacer.stop();
  });

  it('ignores empty commits', () => {
    const delivered: unknown[] = [];
    const pacer = new FanOutPacer((events) => delivered.push(events));
    pacer.committed([]);
    expect(delivered).toEqual([]);
  });

  it('drops the held commits when stopped', async () => {
    const { pacer, delivered } = costlyPacer();
    pacer.committed(commit(1));
    pacer.committed(commit(1));
    pacer.stop();
    await sleep(MOST_HOLD_MS + 20);
    expect(delivered).toHaveLength(1);
  });

  it('reports a held fan-out that throws as a warning and goes on', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      let calls = 0;
      const delivered: number[][] = [];
      const pacer = new FanOutPacer((events) => {
        calls += 1;
        busy(COSTLY_MS);
        if (calls === 2) throw new Error('a subscriber broke');
        delivered.push(events.map((event) => event.pos));
      }, MOST_HOLD_MS);
      pacer.committed(commit(1));
      pacer.committed(commit(1)); // held; its fan-out throws from the timer
      await until(() => calls === 2 && warnings.length > 0);
      expect(warnings.join('\n')).toContain('a subscriber broke');
      await sleep(MOST_HOLD_MS + 10);
      const after = commit(1);
      pacer.committed(after);
      await until(() => delivered.length === 2);
      expect(delivered[1]).toEqual([after[0]!.pos]);
      pacer.stop();
    } finally {
      process.off('warning', onWarning);
    }
  });
});
