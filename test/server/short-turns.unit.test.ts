import { describe, expect, it } from 'vitest';
import { mapInTurns, nextTurn, TurnBudget } from '../../server-reference/short-turns.js';

/** A clock the test moves by hand, counting how often it is read. */
function handClock(): { now: () => number; reads: () => number; advance: (ms: number) => void } {
  let time = 1000;
  let reads = 0;
  return {
    now: () => {
      reads += 1;
      return time;
    },
    reads: () => reads,
    advance: (ms) => (time += ms),
  };
}

/** Keeps the thread busy for `ms`, as a scan decoding events does. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('TurnBudget', () => {
  it('reads the clock once per `itemsPerCheck` items, not per item', () => {
    const clock = handClock();
    const turns = new TurnBudget(5, 256, clock.now);
    const atStart = clock.reads();
    for (let i = 0; i < 1024; i++) turns.count();
    expect(clock.reads() - atStart).toBe(4);
  });

  it('says the turn is spent once its budget has run, at the next check', () => {
    const clock = handClock();
    const turns = new TurnBudget(5, 4, clock.now);
    for (let i = 0; i < 8; i++) expect(turns.count()).toBe(false);
    clock.advance(5);
    // Items 9..11 are not checked; the 12th is.
    expect([turns.count(), turns.count(), turns.count(), turns.count()]).toEqual([false, false, false, true]);
    expect(turns.spent()).toBe(true);
  });

  it('starts a fresh budget after a pause', async () => {
    const clock = handClock();
    const turns = new TurnBudget(5, 1, clock.now);
    clock.advance(6);
    expect(turns.count()).toBe(true);
    await turns.pause();
    expect(turns.spent()).toBe(false);
    expect(turns.count()).toBe(false);
    clock.advance(5);
    expect(turns.count()).toBe(true);
  });

  it('pauses for a later turn of the event loop: the callbacks already waiting run first', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('queued before'));
    await nextTurn();
    order.push('after the pause');
    expect(order).toEqual(['queued before', 'after the pause']);
  });

  it('yieldIfSpent waits only when the turn is spent', async () => {
    const clock = handClock();
    const turns = new TurnBudget(5, 256, clock.now);
    let ran = false;
    setImmediate(() => (ran = true));
    await turns.yieldIfSpent();
    expect(ran).toBe(false);
    clock.advance(5);
    await turns.yieldIfSpent();
    expect(ran).toBe(true);
  });

  it('lets a timer fire in the middle of a long loop that counts its items', async () => {
    const started = performance.now();
    let firedAt: number | undefined;
    setTimeout(() => (firedAt = performance.now()), 1);
    const turns = new TurnBudget();
    // 200 items of 0.3 ms: 60 ms of work, which would hold the loop whole without the budget.
    for (let i = 0; i < 200; i++) {
      busy(0.3);
      if (turns.count()) await turns.pause();
      // A coarse step (a page): checked once per item here, as the subscription does per page.
      await turns.yieldIfSpent();
    }
    const ended = performance.now();
    expect(ended - started).toBeGreaterThanOrEqual(60);
    expect(firedAt).toBeDefined();
    expect(firedAt!).toBeLessThan(ended);
  });
});

describe('mapInTurns', () => {
  it('maps every item in order, pausing when the turn is spent', async () => {
    const clock = handClock();
    const turns = new TurnBudget(5, 2, clock.now);
    let immediates = 0;
    const tick = () => {
      immediates += 1;
      if (immediates < 10) setImmediate(tick);
    };
    setImmediate(tick);
    const mapped = await mapInTurns(
      Array.from({ length: 8 }, (_, i) => i),
      (n) => {
        clock.advance(5); // every item uses up a turn: a pause at every check
        return n * 2;
      },
      turns,
    );
    expect(mapped).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
    // Four checks, four pauses: the other work ran in between.
    expect(immediates).toBeGreaterThanOrEqual(4);
  });
});
