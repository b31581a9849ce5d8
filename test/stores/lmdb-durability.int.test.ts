import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventInput } from '../../protocol/frames.js';
import type { AppendRequest } from '../../server-reference/stores/event-store.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';

/** Where an acknowledged event must be found after a reopen. */
interface Acked {
  readonly stream: string;
  readonly seq: number;
  readonly pos: number;
  readonly tx: number;
}

const STREAMS = ['orders.1', 'orders.2', 'users.1', 'users.2', 'audit', 'carts.7', 'z'];

/** The requests of batch `b`: a few appends to different streams, some with keys. */
function batch(b: number, eventsPerRequest: number): AppendRequest[] {
  return [0, 1, 2].map((r) => {
    const stream = STREAMS[(b * 3 + r) % STREAMS.length]!;
    const events: (EventInput & { id: string })[] = Array.from({ length: eventsPerRequest }, (_, i) => ({
      id: `b${b}-r${r}-e${i}`,
      type: 'Durable',
      ...(i % 3 === 0 ? { key: `k${i % 7}` } : {}),
      data: { batch: b, request: r, index: i, text: 'x'.repeat(i % 50) },
    }));
    return { stream, events, expected: 'any', dedupe: false };
  });
}

describe('lmdb store durability', () => {
  let directory: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'tauon-lmdb-durability-'));
  });

  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('a reopened store has every acknowledged event and continues its positions, seqs and transactions', async () => {
    const acked = new Map<string, Acked>();
    const txByStream = new Map<string, number>();
    const store = await LmdbStore.open(directory);
    const batches = 60;
    // Concurrent calls in groups of four, so that some of them share an LMDB commit.
    for (let group = 0; group < batches; group += 4) {
      const calls = [0, 1, 2, 3].map(async (offset) => {
        const requests = batch(group + offset, 17);
        const outcomes = await store.append(requests);
        outcomes.forEach((outcome, r) => {
          if (!outcome.ok) throw outcome.error;
          const request = requests[r]!;
          txByStream.set(request.stream, Math.max(txByStream.get(request.stream) ?? 0, outcome.tx));
          request.events.forEach((event, i) =>
            acked.set(event.id, { stream: request.stream, seq: outcome.seqs[i]!, pos: outcome.positions[i]!, tx: outcome.tx }),
          );
        });
      });
      await Promise.all(calls);
    }
    expect(acked.size, 'every event acknowledged').toBe(batches * 3 * 17);
    const surfaceBefore = await store.surface('orders.1');
    const lastRecorded = (await store.readAll(Number.MAX_SAFE_INTEGER, 'backward', 1))[0]!.recorded;
    await store.close();

    const reopened = await LmdbStore.open(directory);
    try {
      for (const [id, where] of acked) {
        const event = await reopened.findEvent(id);
        expect(event && { stream: event.stream, seq: event.seq, pos: event.pos, tx: event.tx }, `acked event ${id} survives a reopen`).toEqual(
          where,
        );
      }
      const head = await reopened.headPosition();
      expect(head, 'durability: the head position survives').toBe(acked.size);
      for (const stream of STREAMS) {
        const info = await reopened.streamInfo(stream);
        const count = [...acked.values()].filter((a) => a.stream === stream).length;
        expect(info?.head, `durability: head of ${stream}`).toBe(count);
        expect(info?.tx, `durability: tx of ${stream}`).toBe(txByStream.get(stream));
      }
      expect(await reopened.surface('orders.1'), 'durability: the surface index survives').toEqual(surfaceBefore);

      const retry = await reopened.append(batch(0, 17).slice(0, 1));
      expect(retry[0], 'durability: ids stay idempotent after a reopen').toMatchObject({
        ok: true,
        tx: acked.get('b0-r0-e0')!.tx,
        written: [],
      });

      const streamInfo = (await reopened.streamInfo('audit'))!;
      const next = await reopened.append([
        { stream: 'audit', events: [{ id: 'after-reopen', type: 'Durable' }], expected: streamInfo.head, dedupe: false },
      ]);
      expect(next[0], 'durability: a new append continues the seq, the position and the tx').toMatchObject({
        ok: true,
        seqs: [streamInfo.head + 1],
        positions: [head + 1],
        tx: streamInfo.tx + 1,
      });
      const stored = await reopened.findEvent('after-reopen');
      expect(stored!.recorded, 'durability: recorded stays non-decreasing across a reopen').toBeGreaterThanOrEqual(lastRecorded);
    } finally {
      await reopened.close();
    }
  });

  it('every event acknowledged before the process is killed is there after a reopen', async () => {
    // A child process appends in a loop and prints each ack; it is killed with SIGKILL (no
    // close, no flush on exit) after a number of acks, while appends are still in flight.
    const storeModule = pathToFileURL(fileURLToPath(new URL('../../server-reference/stores/lmdb/lmdb-store.ts', import.meta.url)));
    const script = `
      const { LmdbStore } = await import(${JSON.stringify(storeModule.href)});
      const store = await LmdbStore.open(${JSON.stringify(directory)});
      for (let b = 0; b < 100000; b++) {
        const events = Array.from({ length: 20 }, (_, i) => ({ id: 'k' + b + '-' + i, type: 'Durable', data: { b, i } }));
        // Two calls in flight at a time.
        const [first, second] = await Promise.all([
          store.append([{ stream: 's' + (b % 3), events: events.slice(0, 10), expected: 'any', dedupe: false }]),
          store.append([{ stream: 's' + ((b + 1) % 3), events: events.slice(10), expected: 'any', dedupe: false }]),
        ]);
        for (const [outcome, list] of [[first[0], events.slice(0, 10)], [second[0], events.slice(10)]]) {
          process.stdout.write(JSON.stringify(list.map((e, i) => [e.id, outcome.seqs[i], outcome.positions[i]])) + '\\n');
        }
      }
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked = new Map<string, [number, number]>();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const lines = createInterface({ input: child.stdout });
    const killAfter = 400; // acks (lines of 10 events)
    let lineCount = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    for await (const line of lines) {
      for (const [id, seq, pos] of JSON.parse(line) as [string, number, number][]) acked.set(id, [seq, pos]);
      if (++lineCount >= killAfter) {
        child.kill('SIGKILL');
        break;
      }
    }
    clearTimeout(timer);
    await exited;
    expect(lineCount, `the child acknowledged appends before it was killed (stderr: ${stderr})`).toBeGreaterThanOrEqual(killAfter);

    const reopened = await LmdbStore.open(directory);
    try {
      for (const [id, [seq, pos]] of acked) {
        const event = await reopened.findEvent(id);
        expect(event && [event.seq, event.pos], `acked event ${id} survives a killed process`).toEqual([seq, pos]);
      }
      const all = await reopened.readAll(1, 'forward', 100_000);
      expect(all.length, 'durability: at least every acked event').toBeGreaterThanOrEqual(acked.size);
      all.forEach((event, i) => expect(event.pos, 'durability: positions stay dense after a crash').toBe(i + 1));
      const next = await reopened.append([{ stream: 's0', events: [{ id: 'after-kill', type: 'Durable' }], expected: 'any', dedupe: false }]);
      expect(next[0], 'durability: appends continue after the last stored position').toMatchObject({
        ok: true,
        positions: [all.length + 1],
      });
    } finally {
      await reopened.close();
    }
  });
});
