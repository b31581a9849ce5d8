// Emit and replay throughput through the reference server (its own process, lmdb store) over
// WebSocket and over AMQP, measured in the same run; WebSocket is the baseline of the ratio.
// Run: npx tsx bench/transport-throughput.ts   (needs RabbitMQ on 127.0.0.1:5672 and a build: npm run build)
import { randomUUID } from 'node:crypto';
import { firstValueFrom, toArray } from 'rxjs';
import { connect, type Client } from '../client/index.js';
import { amqpTransport } from '../transports/amqp/index.js';
import { wsTransport } from '../transports/ws/index.js';
import type { ClientTransport } from '../transports/transport.js';
import { startServe } from '../test/support/cli-process.js';
import { tempDir } from '../test/support/temp-dir.js';

export const EVENTS = 50_000;
const IN_FLIGHT = 1000;
const RUNS = 3;
const payload = { text: 'x'.repeat(150), n: 0 };

/** Acked emits of one event each, at most IN_FLIGHT unanswered, as an async producer would. */
export async function emitRate(client: Client, stream: string): Promise<number> {
  const started = performance.now();
  const pending = new Set<Promise<unknown>>();
  for (let i = 0; i < EVENTS; i += 1) {
    const emit = client.emit(stream, { type: 'Bench', data: { ...payload, n: i } });
    pending.add(emit);
    void emit.then(() => pending.delete(emit));
    if (pending.size >= IN_FLIGHT) await Promise.race(pending);
  }
  await Promise.all(pending);
  return EVENTS / ((performance.now() - started) / 1000);
}

/** A cold replay of the whole stream. */
export async function replayRate(client: Client, stream: string): Promise<number> {
  const started = performance.now();
  const events = await firstValueFrom(client.replay(stream, { prefetch: 5000 }).pipe(toArray()));
  if (events.length !== EVENTS) throw new Error(`replayed ${events.length} of ${EVENTS}`);
  return EVENTS / ((performance.now() - started) / 1000);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function measure(transport: ClientTransport): Promise<{ emit: number; replay: number }> {
  const emits: number[] = [];
  const replays: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const client = await connect(transport);
    const stream = `bench-${randomUUID()}`;
    emits.push(await emitRate(client, stream));
    replays.push(await replayRate(client, stream));
    await client.close();
  }
  return { emit: median(emits), replay: median(replays) };
}

if (process.argv[1]?.endsWith('transport-throughput.ts') === true) {
  const dir = await tempDir('bench');
  const service = `tauon-bench-${randomUUID()}`;
  const server = await startServe(['--data', dir.path, '--port', '0', '--amqp', 'amqp://127.0.0.1', '--service', service]);
  try {
    const ws = await measure(wsTransport(server.url));
    const amqp = await measure(amqpTransport('amqp://127.0.0.1', { service }));
    const line = (name: string, value: number, base: number) =>
      console.log(`${name}: ${Math.round(value)} events/s (${(value / base).toFixed(2)} x ws)`);
    line('emit over ws', ws.emit, ws.emit);
    line('emit over amqp', amqp.emit, ws.emit);
    line('replay over ws', ws.replay, ws.replay);
    line('replay over amqp', amqp.replay, ws.replay);
  } finally {
    await server.stop();
    await dir.remove();
  }
}
