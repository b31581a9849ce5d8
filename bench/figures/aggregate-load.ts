// Aggregate load time (issue 18): loading a 100,000-event aggregate with the command handler,
// without snapshots and with a snapshot every 1,000 events, beside loading a 1,000-event one.
// The snapshot case is the worst one: 999 events stored after the newest snapshot. The server
// is `tauon serve` on lmdb in its own process; the client connects over WebSocket.
import { commandHandler, type Client } from '../../client/index.js';
import { median } from '../figure.js';
import { account, accountStream } from './aggregate-counter.js';
import { withinDeadline } from './deadline.js';
import { withClient, withReferenceServer } from './reference-server.js';

/** Snapshot interval of the snapshot case. */
export const SNAPSHOT_EVERY = 1_000;

/** Load times, in milliseconds (medians). */
export interface AggregateLoadTimes {
  /** The small aggregate, no snapshots. */
  small: number;
  /** The large aggregate, no snapshots. */
  large: number;
  /** The large aggregate from its snapshot, with every - 1 events after it. */
  largeSnapshot: number;
}

/** Appends `count` deposits of 1 to a stream, in emits of 1,000 events. */
async function fill(client: Client, stream: string, count: number): Promise<void> {
  for (let done = 0; done < count; done += 1000) {
    const batch = Math.min(1000, count - done);
    await client.emit(stream, Array.from({ length: batch }, () => ({ type: 'Deposited', data: { amount: 1 } })));
  }
}

/** The time of one load, in milliseconds. */
async function timed(load: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await load();
  return performance.now() - started;
}

/**
 * Median times of `runs` loads of each kind, taken in turns (one of each per round, so that
 * the machine's noise falls on all three alike), after one unmeasured round.
 */
async function loadTimes(loads: Record<keyof AggregateLoadTimes, () => Promise<unknown>>, runs: number): Promise<AggregateLoadTimes> {
  const times: Record<keyof AggregateLoadTimes, number[]> = { small: [], large: [], largeSnapshot: [] };
  for (let round = 0; round <= runs; round += 1) {
    for (const kind of ['small', 'large', 'largeSnapshot'] as const) {
      const time = await timed(loads[kind]);
      if (round > 0) times[kind].push(time);
    }
  }
  return { small: median(times.small), large: median(times.large), largeSnapshot: median(times.largeSnapshot) };
}

/** Measures the three load times for aggregates of `small` and `large` events. */
export function aggregateLoadTimes(small = 1_000, large = 100_000, runs = 11): Promise<AggregateLoadTimes> {
  return withReferenceServer((server) =>
    withClient(server.url, (client) =>
      withinDeadline(600_000, 'the aggregate load figure', (async () => {
        const plain = commandHandler(client, account);
        const snapshotting = commandHandler(client, account, { snapshot: { every: SNAPSHOT_EVERY } });
        const smallStream = accountStream(1);
        const largeStream = accountStream(2);
        await fill(client, smallStream, small);
        // Up to the snapshot, then one command (which stores it), then every - 1 events after it.
        await fill(client, largeStream, large - SNAPSHOT_EVERY);
        await snapshotting.handle(largeStream, { amount: 1 });
        await fill(client, largeStream, SNAPSHOT_EVERY - 1);
        const loaded = await snapshotting.load(largeStream);
        if (loaded.eventsRead !== SNAPSHOT_EVERY || loaded.version !== large) {
          throw new Error(`the snapshot load read ${loaded.eventsRead} events to version ${loaded.version}`);
        }
        return loadTimes(
          {
            small: () => plain.load(smallStream),
            large: () => plain.load(largeStream),
            largeSnapshot: () => snapshotting.load(largeStream),
          },
          runs,
        );
      })()),
    ),
  );
}
