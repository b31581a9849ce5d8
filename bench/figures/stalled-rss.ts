// A stalled subscriber must not make the server hold the backlog: while one client subscribes
// and then stops taking events, another appends a million; the server process's resident
// memory is sampled throughout. Afterwards the stalled subscriber must still get its events.
import type { Client, EventIterator } from '../../client/index.js';
import { BENCH_TYPE, benchData } from '../bench-event.js';
import { sleep, withinDeadline } from './deadline.js';
import { memoryMb } from './process-stats.js';
import { withClient, withReferenceServer } from './reference-server.js';

const EVENTS_PER_EMIT = 1_000;
const EMITS_IN_FLIGHT = 8;
const SAMPLE_EVERY_MS = 100;
/** Events appended (to another stream) before the memory is first sampled. */
const WARM_UP_EVENTS = 100_000;
/**
 * Events the stalled subscriber takes at the end: more than its credit window (the client's
 * default prefetch, 1000), so the server must resume sending, not just the client's buffer.
 */
const RESUME_CHECK = 2_500;

/** What the stalled-subscriber figure measured, in MiB. */
export interface StalledRssResult {
  /** Growth of the server's VmRSS from before the appends to after them. */
  growthMb: number;
  /** Growth to the highest VmRSS sampled (every 100 ms) meanwhile. */
  peakGrowthMb: number;
  /** The anonymous part of `growthMb` (RssAnon: heap and buffers, not the store's mapped pages). */
  anonGrowthMb: number;
}

/**
 * Growth of the server's resident memory while `events` are appended (in emits of 1,000) and
 * a live subscriber has stopped taking events, after a warm-up of {@link WARM_UP_EVENTS}; then
 * checks the subscriber still gets them all.
 */
export function stalledSubscriberRssGrowth(events = 1_000_000): Promise<StalledRssResult> {
  const stream = 'stalled';
  return withReferenceServer((server) => {
    const pid = server.child.pid!;
    return withClient(server.url, (stalledClient) =>
      withClient(server.url, (producer) =>
        withinDeadline(60_000, `stalledSubscriberRssGrowth(${events})`, (async () => {
          // The iterator form: credit returns only as events are pulled, and this one stops pulling.
          const stalled = stalledClient.iterate(stream, { mode: 'hot' });
          const firstSeq = await confirmLive(producer, stream, stalled.next()); // the first pull opens it
          // The server's steady state first (its code compiled, its heap and lmdb's buffers
          // grown to what appending needs), so that the growth measured is that of the backlog.
          await appendInBatches(producer, `${stream}-warm-up`, WARM_UP_EVENTS);
          const before = await memoryMb(pid);
          let peak = before.resident;
          const sampler = setInterval(() => {
            memoryMb(pid).then((mb) => (peak = Math.max(peak, mb.resident)), () => undefined);
          }, SAMPLE_EVERY_MS);
          try {
            await appendInBatches(producer, stream, events);
          } finally {
            clearInterval(sampler);
          }
          const after = await memoryMb(pid);
          peak = Math.max(peak, after.resident);
          await expectResumes(stalled, firstSeq + 1, RESUME_CHECK);
          return {
            growthMb: after.resident - before.resident,
            peakGrowthMb: peak - before.resident,
            anonGrowthMb: after.anonymous - before.anonymous,
          };
        })()),
      ),
    );
  });
}

/**
 * The subscription is in place once it delivers: emits an event every 20 ms until the pending
 * first pull resolves, and returns the seq it got (a hot subscription misses what came before
 * it started).
 */
async function confirmLive(producer: Client, stream: string, first: ReturnType<EventIterator['next']>): Promise<number> {
  let got: IteratorResult<{ seq: number }, undefined> | undefined;
  const pulled = first.then((result) => (got = result));
  for (let tries = 0; got === undefined; tries++) {
    if (tries >= 100) throw new Error('the stalled subscriber never received an event');
    await producer.emit(stream, { type: BENCH_TYPE, data: benchData(-1) });
    await Promise.race([pulled, sleep(20)]);
  }
  if (got.done === true) throw new Error('the stalled subscription ended at once');
  return got.value.seq;
}

/** Appends `events` in emits of {@link EVENTS_PER_EMIT}, at most {@link EMITS_IN_FLIGHT} unacknowledged. */
async function appendInBatches(
  producer: Client,
  stream: string,
  events: number,
): Promise<void> {
  const inFlight: Promise<unknown>[] = [];
  for (let first = 0; first < events; first += EVENTS_PER_EMIT) {
    const batch = [];
    for (let n = first; n < Math.min(events, first + EVENTS_PER_EMIT); n++) batch.push({ type: BENCH_TYPE, data: benchData(n) });
    inFlight.push(producer.emit(stream, batch));
    if (inFlight.length >= EMITS_IN_FLIGHT) await inFlight.shift();
  }
  await Promise.all(inFlight);
}

/** Pulls `count` more events from the stalled iterator and checks they continue at `fromSeq`, in order. */
async function expectResumes(stalled: EventIterator, fromSeq: number, count: number): Promise<void> {
  await withinDeadline(10_000, 'the stalled subscriber to resume', (async () => {
    for (let seq = fromSeq; seq < fromSeq + count; seq++) {
      const result = await stalled.next();
      if (result.done === true) throw new Error(`the stalled subscription ended before seq ${seq}`);
      if (result.value.seq !== seq) throw new Error(`the stalled subscriber got seq ${result.value.seq}, expected ${seq}`);
    }
  })());
  await stalled.return();
}
