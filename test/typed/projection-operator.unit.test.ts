import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { project } from '../../client/index.js';
import type { FeedItem, KeyedProjection, StoredEvent } from '../../client/index.js';

let seq = 0;
function event(type: string, data: number, key?: string): FeedItem {
  seq += 1;
  return { kind: 'event', event: { id: `e-${seq}`, type, data, key, stream: 's', seq, pos: seq, tx: seq, recorded: 1 } };
}
const caughtUp = (at: number): FeedItem => ({ kind: 'caught-up', at });
const fellBehind = (at: number): FeedItem => ({ kind: 'fell-behind', at });

/** A sum of the `Add` events' data; other types change nothing. */
const sum = {
  initial: () => 0,
  evolve: (total: number, added: StoredEvent) => (added.type === 'Add' ? total + (added.data as number) : total),
};

function run<T>(operator: (source: Subject<FeedItem>) => { subscribe: (observer: object) => unknown }): {
  feed: Subject<FeedItem>;
  out: T[];
  failure: () => unknown;
  completed: () => boolean;
} {
  const feed = new Subject<FeedItem>();
  const out: T[] = [];
  let failure: unknown;
  let completed = false;
  operator(feed).subscribe({
    next: (value: T) => out.push(value),
    error: (error: unknown) => (failure = error),
    complete: () => (completed = true),
  });
  return { feed, out, failure: () => failure, completed: () => completed };
}

describe('project', () => {
  it('emits nothing during history, the state at caught-up, then each change; an unchanged state emits nothing', () => {
    const { feed, out } = run<number>((source) => source.pipe(project(sum)));
    feed.next(event('Add', 1));
    feed.next(event('Add', 2));
    expect(out).toEqual([]);
    feed.next(caughtUp(2));
    expect(out).toEqual([3]);
    feed.next(event('Add', 4));
    feed.next(event('Noted', 100));
    feed.next(event('Add', 0)); // evolves to the same number: no change
    feed.next(event('Add', 5));
    expect(out).toEqual([3, 7, 12]);
  });

  it('emits the initial state at caught-up for an empty feed, and a cold feed completes after it', () => {
    const { feed, out, completed } = run<number>((source) => source.pipe(project(sum)));
    feed.next(caughtUp(0));
    feed.complete();
    expect(out).toEqual([0]);
    expect(completed()).toBe(true);
  });

  it('after fell-behind folds quietly and emits once at the next caught-up; a caught-up with no change emits nothing', () => {
    const { feed, out } = run<number>((source) => source.pipe(project(sum)));
    feed.next(caughtUp(0));
    feed.next(event('Add', 1));
    feed.next(fellBehind(1));
    for (let i = 0; i < 50; i += 1) feed.next(event('Add', 1));
    expect(out).toEqual([0, 1]);
    feed.next(caughtUp(51));
    expect(out).toEqual([0, 1, 51]);
    feed.next(caughtUp(51)); // a resumed subscription says caught-up again: nothing new
    expect(out).toEqual([0, 1, 51]);
    feed.next(event('Add', 2));
    expect(out).toEqual([0, 1, 51, 53]);
  });

  it('ignores items of other kinds (a typed feed delivering invalid or untyped events)', () => {
    const { feed, out } = run<number>((source) => source.pipe(project(sum)));
    feed.next(event('Add', 1));
    feed.next({ kind: 'invalid', event: { type: 'Add', data: 'x' } } as unknown as FeedItem);
    feed.next(caughtUp(2));
    expect(out).toEqual([1]);
  });

  it('keeps one state per key and emits snapshots with the keys that changed', () => {
    const { feed, out } = run<KeyedProjection<number>>((source) =>
      source.pipe(project({ key: (added: StoredEvent) => added.key, initial: () => 0, evolve: sum.evolve })),
    );
    feed.next(event('Add', 1, 'a'));
    feed.next(event('Add', 2, 'b'));
    feed.next(event('Add', 3, 'a'));
    feed.next(event('Add', 9)); // no key: left out
    feed.next(event('Noted', 0, 'c')); // enters with its first event, unchanged
    feed.next(caughtUp(5));
    expect(out).toHaveLength(1);
    expect([...out[0]!.states]).toEqual([
      ['a', 4],
      ['b', 2],
      ['c', 0],
    ]);
    expect(out[0]!.changed).toEqual(['a', 'b', 'c']);
    feed.next(event('Add', 1, 'b'));
    feed.next(event('Noted', 0, 'a'));
    expect(out).toHaveLength(2);
    expect(out[1]!.changed).toEqual(['b']);
    expect(out[1]!.states.get('b')).toBe(3);
    expect(out[0]!.states.get('b')).toBe(2); // an emitted snapshot never changes
  });

  it('errors with what evolve throws, and folds from initial again for each subscription', () => {
    const boom = run<number>((source) =>
      source.pipe(
        project({
          initial: () => 0,
          evolve: () => {
            throw new Error('evolve failed');
          },
        }),
      ),
    );
    boom.feed.next(event('Add', 1));
    expect((boom.failure() as Error).message).toBe('evolve failed');
    expect(boom.feed.observed).toBe(false);

    const feed = new Subject<FeedItem>();
    const projected = feed.pipe(project({ initial: () => [] as number[], evolve: (list: number[], added: StoredEvent) => [...list, added.data as number] }));
    const first: number[][] = [];
    const second: number[][] = [];
    projected.subscribe((list) => first.push(list));
    feed.next(event('Add', 1));
    projected.subscribe((list) => second.push(list));
    feed.next(event('Add', 2));
    feed.next(caughtUp(2));
    expect(first).toEqual([[1, 2]]);
    expect(second).toEqual([[2]]);
  });
});
