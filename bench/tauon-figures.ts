// Tauon's throughput figures through reference servers in their own processes: emit and cold
// replay on the default lmdb store over WebSocket, the same over AMQP, and on the PostgreSQL and
// JetStream stores. Each is the median of several runs.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { connect, type Client } from '../client/index.js';
import { amqpTransport } from '../transports/amqp/index.js';
import { wsTransport } from '../transports/ws/index.js';
import type { ClientTransport } from '../transports/transport.js';
import { JetStreamStore } from '../server-reference/stores/jetstream/jetstream-store.js';
import { startServe, type ServeProcess } from '../test/support/cli-process.js';
import { tempDir } from '../test/support/temp-dir.js';
import { median } from './figure.js';
import { emitThroughput, replayThroughput } from './tauon-throughput.js';

/** Emits unanswered at once, as in the JetStream baseline. */
export const IN_FLIGHT = 1_000;

/** Emit and replay throughput, events per second. */
export interface Throughput {
  readonly emit: number;
  readonly replay: number;
}

/**
 * After a warm-up, emits `events` per run into a fresh stream, `runs` times, then replays each
 * of those streams cold; medians. The emits run back to back, as JetStream's publishes do: a
 * replay between them left the client's heap to collect during the next emit run (measured:
 * GC 72-93 ms in a 100,000-event run against 14-21 ms, and about 11% fewer events a second).
 */
export async function measureThroughput(transport: ClientTransport, events: number, runs: number): Promise<Throughput> {
  const emits: number[] = [];
  const replays: number[] = [];
  const client = await connect(transport);
  try {
    // A warm-up, not measured: the figures are of a server and client past their JIT warm-up.
    await emitThroughput(client, `bench-warm-up-${randomBytes(6).toString('hex')}`, Math.min(events, 20_000), IN_FLIGHT);
    const streams = Array.from({ length: runs }, () => `bench-${randomBytes(6).toString('hex')}`);
    for (const stream of streams) emits.push(await emitThroughput(client, stream, events, IN_FLIGHT));
    for (const stream of streams) replays.push(await replayThroughput(client, stream, events));
  } finally {
    await client.close();
  }
  return { emit: median(emits), replay: median(replays) };
}

/** Fills a stream of `events` (with many emits in flight: the fill is not a figure) and replays it cold `runs` times. */
export async function measureLongReplay(client: Client, events: number, runs: number): Promise<number> {
  const stream = `bench-replay-${randomBytes(6).toString('hex')}`;
  await emitThroughput(client, stream, events, 20_000);
  const rates: number[] = [];
  for (let run = 0; run < runs; run++) rates.push(await replayThroughput(client, stream, events));
  return median(rates);
}

/** A reference server on lmdb in a temporary directory, also on AMQP when a broker is given. */
export async function withLmdbServer<T>(amqp: { url: string; service: string } | undefined, work: (server: ServeProcess) => Promise<T>): Promise<T> {
  const dir = await tempDir('bench');
  const flags = amqp === undefined ? [] : ['--amqp', amqp.url, '--service', amqp.service];
  const server = await startServe(['--data', dir.path, '--port', '0', ...flags], 60_000);
  try {
    return await work(server);
  } finally {
    await server.stop();
    await dir.remove();
  }
}

/** Emit and replay over AMQP beside WebSocket, on one server. */
export async function measureAmqp(amqp: { url: string; service: string }, events: number, runs: number): Promise<Throughput> {
  return measureThroughput(amqpTransport(amqp.url, { service: amqp.service }), events, runs);
}

/** Emit and replay through a server on PostgreSQL and one on JetStream (each in a fresh schema / stream, removed after). */
export async function measureStores(
  stores: { postgres?: string; nats?: string },
  events: number,
  runs: number,
): Promise<Map<string, Throughput>> {
  const id = randomBytes(4).toString('hex');
  const results = new Map<string, Throughput>();
  const setups: [string, string, () => Promise<void>][] = [];
  if (stores.postgres !== undefined) {
    const url = stores.postgres;
    setups.push(['PostgreSQL', `${url}?schema=bench_${id}`, async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS bench_${id} CASCADE`);
      } finally {
        await client.end();
      }
    }]);
  }
  if (stores.nats !== undefined) {
    const url = stores.nats;
    setups.push(['JetStream', `${url}?stream=BENCH_${id}&subjectPrefix=bench${id}`, () => JetStreamStore.destroy(url, { stream: `BENCH_${id}` })]);
  }
  for (const [name, storeUrl, remove] of setups) {
    try {
      const server = await startServe(['--store', storeUrl, '--port', '0'], 60_000);
      try {
        results.set(name, await measureThroughput(wsTransport(server.url), events, runs));
      } finally {
        await server.stop();
      }
    } finally {
      await remove();
    }
  }
  return results;
}
