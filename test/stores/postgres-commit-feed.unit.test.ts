import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../protocol/frames.js';
import { CommitListeners } from '../../server-reference/stores/commit-listeners.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { CommitFeed, type CommitFeedSource } from '../../server-reference/stores/postgres/commit-feed.js';

/*
 * The commit feed decides, from this store's commits and the notifications of every store's,
 * what the listeners hear. A MemoryStore stands for the shared table: "another server" appends
 * to it without telling the feed, as another PostgreSQL server would.
 */

/** The table as the feed reads it, counting reads; `failures` reads throw first. */
function tableOf(store: MemoryStore, failures = 0): CommitFeedSource & { reads: number } {
  let failing = failures;
  const source = {
    reads: 0,
    async readAfter(after: number, upTo: number, limit: number): Promise<StoredEvent[]> {
      source.reads++;
      if (failing > 0) {
        failing--;
        throw new Error('the database is away');
      }
      const events = await store.readAll(after + 1, 'forward', limit);
      return events.filter((event) => event.pos <= upTo);
    },
  };
  return source;
}

async function commit(store: MemoryStore, stream: string, ids: readonly string[]): Promise<StoredEvent[]> {
  const [outcome] = await store.append([{ stream, events: ids.map((id) => ({ id, type: 'T' })), expected: 'any', dedupe: false }]);
  if (!outcome?.ok) throw new Error('append failed');
  return outcome.written;
}

interface Setup {
  readonly table: MemoryStore;
  readonly source: ReturnType<typeof tableOf>;
  readonly feed: CommitFeed;
  readonly heard: StoredEvent[][];
  readonly troubles: string[];
}

function setup(options: { failures?: number; listening?: boolean; pageSize?: number } = {}): Setup {
  const table = new MemoryStore();
  const source = tableOf(table, options.failures ?? 0);
  const listeners = new CommitListeners();
  const heard: StoredEvent[][] = [];
  if (options.listening !== false) listeners.add((events) => heard.push([...events]));
  const troubles: string[] = [];
  const feed = new CommitFeed(
    source,
    listeners,
    { pageSize: options.pageSize ?? 100, hasListeners: () => options.listening !== false, trouble: (message) => troubles.push(message) },
    0,
  );
  return { table, source, feed, heard, troubles };
}

/** Polls `check` every 5 ms for at most 5 s. */
async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

const ids = (lists: readonly (readonly StoredEvent[])[]) => lists.flat().map((e) => e.id);

describe('postgres store: commit feed', () => {
  it("tells this store's commits from the events in hand, and ignores their notifications afterwards", async () => {
    const { table, source, feed, heard } = setup();
    const first = await commit(table, 's', ['a', 'b']);
    await feed.committedHere(first);
    feed.committedUpTo(2);
    const second = await commit(table, 's', ['c']);
    await feed.committedHere(second);
    feed.committedUpTo(3);
    await feed.stop();
    expect(heard, 'one call per commit, with its events').toEqual([first, second]);
    expect(source.reads, 'nothing read from the table').toBe(0);
  });

  it('a notification that arrives before the commit returns is read from the table; the commit then adds nothing', async () => {
    const { table, source, feed, heard } = setup();
    const events = await commit(table, 's', ['a', 'b']);
    feed.committedUpTo(2);
    await eventually(() => heard.length > 0);
    await feed.committedHere(events);
    await feed.stop();
    expect(ids(heard), 'each event once').toEqual(['a', 'b']);
    expect(source.reads, 'read once').toBe(1);
  });

  it("another server's commits before this store's are read from the table first, so that everything is heard in position order", async () => {
    const { table, feed, heard } = setup();
    await commit(table, 'other', ['x1', 'x2']); // another server, not notified yet
    await commit(table, 'other', ['x3']);
    const mine = await commit(table, 's', ['m1']);
    await feed.committedHere(mine);
    expect(ids(heard), 'the gap first, then this store commit').toEqual(['x1', 'x2', 'x3', 'm1']);
    feed.committedUpTo(3); // the late notifications of the other server
    feed.committedUpTo(4);
    await feed.stop();
    expect(ids(heard), 'nothing twice').toEqual(['x1', 'x2', 'x3', 'm1']);
  });

  it('reads in pages, in order, when far behind', async () => {
    const { table, feed, heard } = setup({ pageSize: 3 });
    for (let i = 0; i < 5; i++) await commit(table, 'other', [`a${i}`, `b${i}`]);
    feed.committedUpTo(10);
    await eventually(() => heard.flat().length === 10);
    await feed.stop();
    expect(heard.every((list) => list.length <= 3), 'pages of at most pageSize').toBe(true);
    expect(heard.flat().map((e) => e.pos), 'every position once, in order').toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('after a failed read it lets the append go, tries again later, and still tells every event once, in order', async () => {
    const { table, feed, heard, troubles } = setup({ failures: 2 });
    await commit(table, 'other', ['x1']);
    const mine = await commit(table, 's', ['m1']);
    await feed.committedHere(mine); // the gap read fails: the append is let go
    expect(troubles.length, 'the failure is reported').toBeGreaterThan(0);
    const later = await commit(table, 's', ['m2']);
    void feed.committedHere(later);
    await eventually(() => heard.flat().length === 3);
    await feed.stop();
    expect(ids(heard), 'everything once, in position order, after the retries').toEqual(['x1', 'm1', 'm2']);
  });

  it('a notified commit that is not visible yet is read again until it is', async () => {
    const { table, feed, heard } = setup();
    feed.committedUpTo(1); // notified before its rows can be read
    await new Promise((resolve) => setTimeout(resolve, 30));
    await commit(table, 'other', ['x1']);
    await eventually(() => heard.length > 0);
    await feed.stop();
    expect(ids(heard), 'heard once it became visible').toEqual(['x1']);
  });

  it('without listeners it reads nothing and moves on; a listener added later hears only later commits', async () => {
    const table = new MemoryStore();
    const source = tableOf(table);
    const listeners = new CommitListeners();
    let listening = false;
    const feed = new CommitFeed(source, listeners, { pageSize: 100, hasListeners: () => listening, trouble: () => undefined }, 0);
    await commit(table, 'other', ['x1']);
    feed.committedUpTo(1);
    await feed.committedHere(await commit(table, 's', ['m1']));
    expect(source.reads, 'no reads without listeners').toBe(0);
    const heard: string[] = [];
    listeners.add((events) => heard.push(...events.map((e) => e.id)));
    listening = true;
    await commit(table, 'other', ['x2']);
    feed.committedUpTo(3);
    await eventually(() => heard.length > 0);
    await feed.stop();
    expect(heard, 'only what committed after the listener came').toEqual(['x2']);
  });
});
