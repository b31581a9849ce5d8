// Seek: the time to the first event of a replay of a stream's last 100 events, on a stream of
// ten million events against one of ten thousand. Reading from a position should cost the same
// however much history lies before it.
import type { Client } from '../../client/index.js';
import { median } from '../figure.js';
import { withinDeadline } from './deadline.js';
import { withClient, withReferenceServer } from './reference-server.js';
import { cachedSeekStore, fillSeekStore, SEEK_STREAM } from './seek-store.js';
import { tempDir } from '../../test/support/temp-dir.js';

/** How many of the stream's last events each seek replays. */
const TAIL = 100;

/** Options of {@link seekTimeToFirstEvent}. */
export interface SeekOptions {
  /** @default 10_000_000 */
  readonly bigEvents?: number;
  /** @default 10_000 */
  readonly smallEvents?: number;
  /** Measured seeks per stream (after one unmeasured). @default 25 */
  readonly seeks?: number;
  /** Hears how long filling the big store took when it was not cached. @default console.log */
  readonly log?: (line: string) => void;
}

/**
 * The median time, in milliseconds, from subscribing (cold, from the 100th event before the
 * head) to the first event, on a stream of `bigEvents` and on one of `smallEvents`, each in its
 * own reference server. The big store is filled once and kept under bench/.data/ (several GB
 * and about a minute to fill; see seek-store.ts).
 */
export async function seekTimeToFirstEvent(options: SeekOptions = {}): Promise<{ bigMs: number; smallMs: number }> {
  const { bigEvents = 10_000_000, smallEvents = 10_000, seeks = 25, log = console.log } = options;
  // A fill, when the cache is missing, takes one to two minutes on the 2-core machine.
  const bigDir = await withinDeadline(600_000, `filling ${bigEvents} events`, cachedSeekStore(bigEvents, log));
  const bigMs = await seekMedian(bigDir, bigEvents, seeks);
  const small = await tempDir('bench-seek');
  try {
    await fillSeekStore(small.path, smallEvents);
    const smallMs = await seekMedian(small.path, smallEvents, seeks);
    return { bigMs, smallMs };
  } finally {
    await small.remove();
  }
}

/** Runs the reference server on `dir` and returns the median of `seeks` timed seeks. */
function seekMedian(dir: string, count: number, seeks: number): Promise<number> {
  return withReferenceServer(
    (server) =>
      withClient(server.url, (client) =>
        withinDeadline(20_000, `seeks on a stream of ${count}`, (async () => {
          await seekTail(client, count); // the first, unmeasured: connects the paths, warms the JIT
          const times: number[] = [];
          for (let i = 0; i < seeks; i++) times.push(await seekTail(client, count));
          return median(times);
        })()),
      ),
    dir,
  );
}

/**
 * Replays the last {@link TAIL} events of a stream of `count`, checks it got exactly those, and
 * returns the milliseconds from the subscribe call to the first event.
 */
function seekTail(client: Client, count: number): Promise<number> {
  const first = count - TAIL + 1;
  return new Promise((resolve, reject) => {
    let firstAfter: number | undefined;
    let expected = first;
    const started = performance.now();
    client.subscribe(SEEK_STREAM, { mode: 'cold', from: { at: first } }).subscribe({
      next: (event) => {
        firstAfter ??= performance.now() - started;
        if (event.seq !== expected) reject(new Error(`seek from ${first}: got seq ${event.seq}, expected ${expected}`));
        expected += 1;
      },
      complete: () => {
        if (expected !== count + 1 || firstAfter === undefined) {
          reject(new Error(`seek from ${first}: the replay ended at seq ${expected - 1}, not ${count}`));
        } else {
          resolve(firstAfter);
        }
      },
      error: reject,
    });
  });
}
