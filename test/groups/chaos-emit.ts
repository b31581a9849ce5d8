// The events of the chaos runs and how they are emitted: explicit ids (so that a resend after a
// server restart is harmless and the logs can be checked against them), keys spread evenly.
import type { Client, EmitEvent } from '../../client/index.js';
import type { EmittedEvent } from './chaos-log.js';

/** One event of a run and the stream it goes to. */
export interface ChaosEvent extends EmittedEvent {
  readonly stream: string;
}

/** Events per emit round trip. */
const EMIT_BATCH = 1_000;

/** Events `e<i>` with key `k<i mod keys>`, each key always in the stream `streamOf(key number)`. */
export function chaosEvents(events: number, keys: number, streamOf: (key: number) => string): ChaosEvent[] {
  return Array.from({ length: events }, (_, i) => ({ id: `e${i}`, key: `k${i % keys}`, stream: streamOf(i % keys) }));
}

/** Emits events [from, to) in frames of EMIT_BATCH, each frame's streams at once. */
export async function emitRange(client: Client, events: readonly ChaosEvent[], from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += EMIT_BATCH) await emitBatch(client, events.slice(start, Math.min(to, start + EMIT_BATCH)));
}

/** Emits events [from, to) spread evenly over `overMs`. */
export async function emitPaced(client: Client, events: readonly ChaosEvent[], from: number, to: number, overMs: number): Promise<void> {
  const batches = Math.ceil((to - from) / EMIT_BATCH);
  const began = performance.now();
  for (let b = 0; b < batches; b++) {
    await sleep(began + (b * overMs) / batches - performance.now());
    const start = from + b * EMIT_BATCH;
    await emitBatch(client, events.slice(start, Math.min(to, start + EMIT_BATCH)));
  }
}

async function emitBatch(client: Client, batch: readonly ChaosEvent[]): Promise<void> {
  const byStream = new Map<string, EmitEvent[]>();
  for (const event of batch) {
    let list = byStream.get(event.stream);
    if (list === undefined) byStream.set(event.stream, (list = []));
    list.push({ id: event.id, type: 'chaos', key: event.key, data: { id: event.id } });
  }
  // Ids make a resend after a server restart harmless: the client resends what was not acknowledged.
  await Promise.all([...byStream].map(([stream, list]) => client.emit(stream, list)));
}

/** A promise that settles after `ms` milliseconds (at once for ms <= 0). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
