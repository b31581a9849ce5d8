// NATS JetStream baselines (DESIGN.md, Measuring): the peer at its best, through its own
// client (`noAsyncTraces: true`, which otherwise costs the client about half its CPU), on
// the NATS server at 127.0.0.1:4222. Every run makes a fresh stream and deletes it after.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pack, unpack } from 'msgpackr';
import { BENCH_TYPE, benchData } from '../bench-event.js';
import { withinTime } from './within-time.js';

const SERVER = '127.0.0.1:4222';
/** Unacknowledged publishes the timed publish allows. */
const PUBLISHES_IN_FLIGHT = 1000;
/** Messages the ordered consumer asks the server for at a time (callback, iterator and fetch measured alike). */
const CONSUME_BATCH = 10_000;
/** Core publishes between flushes while filling a stream for the replay. */
const FILL_FLUSH_EVERY = 10_000;
/** How long the stream's count may stand still before a fill counts as lost messages. */
const FILL_STALL_MS = 3000;
const CONNECT_LIMIT_MS = 5000;
const RUN_LIMIT_MS = 60_000;

/** One run's connection and its fresh stream (its name and the one subject it takes). */
interface Run {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly subject: string;
}

/**
 * Events a second published to a fresh stream with at most 1,000 unacknowledged, each a
 * msgpack-packed bench event. Rate = events acked / elapsed.
 */
export async function jetStreamAsyncPublish(events = 100_000): Promise<number> {
  return withStream('JetStream async publish', async (run, signal) => {
    const started = performance.now();
    await publish(run, events, signal);
    const elapsed = performance.now() - started;
    const stored = (await run.jsm.streams.info(run.stream)).state.messages;
    if (stored !== events) throw new Error(`JetStream publish: ${stored} of ${events} events stored`);
    return events / (elapsed / 1000);
  });
}

/**
 * Events a second replayed from a fresh stream of `events` events (filled first, not timed)
 * by an ordered consumer, each message's msgpack decoded. Rate = events / elapsed.
 */
export async function jetStreamOrderedReplay(events = 500_000): Promise<number> {
  return withStream('JetStream ordered replay', async (run, signal) => {
    await fill(run, events, signal);
    const started = performance.now();
    await replay(run, events, signal);
    return events / ((performance.now() - started) / 1000);
  });
}

function packedEvent(n: number): Buffer {
  return pack({ id: randomUUID(), type: BENCH_TYPE, data: benchData(n) });
}

/** Publishes events 0..`events`-1 with at most 1,000 unacknowledged; returns once all are acked. */
async function publish(run: Run, events: number, signal: AbortSignal): Promise<void> {
  let unacked = 0;
  let failure: Error | undefined;
  let slotFreed: (() => void) | undefined;
  const settled = (): void => {
    unacked--;
    slotFreed?.();
    slotFreed = undefined;
  };
  const failed = (error: unknown): void => {
    failure ??= error instanceof Error ? error : new Error(String(error));
    settled();
  };
  const slotFree = (): Promise<void> => new Promise<void>((resolve) => (slotFreed = resolve));
  for (let n = 0; n < events; n++) {
    unacked++;
    run.js.publish(run.subject, packedEvent(n)).then(settled, failed);
    while (unacked >= PUBLISHES_IN_FLIGHT) await slotFree();
    signal.throwIfAborted();
    if (failure !== undefined) throw failure;
  }
  while (unacked > 0) await slotFree();
  if (failure !== undefined) throw failure;
}

/**
 * Fills the stream with events 0..`events`-1 quickly, for the replay: plain NATS publishes
 * (one connection keeps their order), then waits until the stream holds them all. Acked
 * publishes would take several times longer, and the fill is not what is measured.
 */
async function fill(run: Run, events: number, signal: AbortSignal): Promise<void> {
  for (let n = 0; n < events; n++) {
    run.nc.publish(run.subject, packedEvent(n));
    if ((n + 1) % FILL_FLUSH_EVERY === 0) {
      await run.nc.flush();
      signal.throwIfAborted();
    }
  }
  await run.nc.flush();
  let stored = 0;
  let changed = performance.now();
  for (;;) {
    const now = (await run.jsm.streams.info(run.stream)).state.messages;
    if (now === events) return;
    if (now !== stored) [stored, changed] = [now, performance.now()];
    else if (performance.now() - changed > FILL_STALL_MS) throw new Error(`JetStream fill: ${stored} of ${events} events stored`);
    signal.throwIfAborted();
    await sleep(20);
  }
}

/** Reads `events` messages with an ordered consumer's consume(), decoding each and checking the order. */
async function replay(run: Run, events: number, signal: AbortSignal): Promise<void> {
  // No consumer name: an ordered consumer, which the client creates (and recreates on a gap).
  const consumer = await run.js.consumers.get(run.stream);
  let replayed = 0;
  let failure: Error | undefined;
  const messages = await consumer.consume({
    max_messages: CONSUME_BATCH,
    callback: (message) => {
      const event = unpack(message.data) as { data: { n: number } };
      if (event.data.n !== replayed) failure ??= new Error(`JetStream replay: expected event ${replayed}, got ${event.data.n}`);
      replayed++;
      if (replayed === events || failure !== undefined) messages.stop();
    },
  });
  const stop = (): void => messages.stop();
  signal.addEventListener('abort', stop, { once: true });
  try {
    await messages.closed();
  } finally {
    signal.removeEventListener('abort', stop);
  }
  signal.throwIfAborted();
  if (failure !== undefined) throw failure;
  if (replayed !== events) throw new Error(`JetStream replay: the consumer stopped after ${replayed} of ${events} events`);
}

/**
 * Connects, makes a fresh stream and runs `measure` within time; then deletes the stream and
 * closes the connection, also after a failure or a timeout.
 */
async function withStream(label: string, measure: (run: Run, signal: AbortSignal) => Promise<number>): Promise<number> {
  const nc = await connect({ servers: SERVER, noAsyncTraces: true, timeout: CONNECT_LIMIT_MS });
  try {
    const jsm = await jetstreamManager(nc);
    const id = randomUUID().replaceAll('-', '');
    const run = { nc, js: jetstream(nc), jsm, stream: `BENCH_BASELINE_${id}`, subject: `bench-baseline.${id}` };
    await jsm.streams.add({ name: run.stream, subjects: [run.subject] });
    try {
      return await withinTime(label, RUN_LIMIT_MS, (signal) => measure(run, signal));
    } finally {
      await jsm.streams.delete(run.stream);
    }
  } finally {
    await nc.close();
  }
}
