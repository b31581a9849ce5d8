import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProjectionSummary } from '../../server-reference/projections/projection-service.js';
import { startServe, type ServeProcess } from '../support/cli-process.js';
import { sendHttp } from '../support/http-request.js';
import { tempDir } from '../support/temp-dir.js';

/** Events emitted, in batches of BATCH, over KEYS keys. */
const EVENTS = 6_000;
const BATCH = 500;
const KEYS = 20;

/**
 * The projection under test, as a module of the configuration: per key, how many events and the
 * sum of their `i`, so that an event applied twice or not at all shows. Each evolve spins for
 * 0.3 ms (a deliberately costly projection), so that the catch-up of 6,000 events takes long
 * enough to be killed in the middle of it.
 */
const MODULE = `
export default {
  name: 'fold',
  stream: 'kill.*',
  initial: { n: 0, sum: 0 },
  key: (event) => event.key,
  evolve: (state, event) => {
    const until = performance.now() + 0.3;
    while (performance.now() < until) {}
    return { n: state.n + 1, sum: state.sum + event.data.i };
  },
};
`;

let serve: ServeProcess | undefined;
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await serve?.stop('SIGKILL');
  serve = undefined;
  await cleanup?.();
  cleanup = undefined;
});

async function http(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const answer = await sendHttp(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: answer.status, body: JSON.parse(answer.body) as unknown };
}

describe('server-side projections across kill -9 (lmdb, tauon serve)', () => {
  it('a server killed in the middle of a catch-up goes on after a restart with every event applied exactly once', async () => {
    const dir = await tempDir('tauon-projection-kill-');
    cleanup = dir.remove;
    await writeFile(join(dir.path, 'fold.mjs'), MODULE);
    const config = join(dir.path, 'tauon.config.json');
    await writeFile(config, JSON.stringify({ stores: { main: { kind: 'lmdb', path: './data' } }, listen: { port: 0 }, projections: ['./fold.mjs'] }));
    serve = await startServe(['--config', config]);
    const expected = new Map<string, { n: number; sum: number }>();
    for (let start = 0; start < EVENTS; start += BATCH) {
      const events = Array.from({ length: BATCH }, (_, j) => ({ type: 'counted', key: `k${(start + j) % KEYS}`, data: { i: start + j } }));
      const answer = await http(serve.httpUrl, 'POST', `/streams/kill.${start % 3}/events`, events);
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      for (const event of events) {
        const state = expected.get(event.key) ?? { n: 0, sum: 0 };
        expected.set(event.key, { n: state.n + 1, sum: state.sum + event.data.i });
      }
    }
    // Wait for a commit in the middle of the catch-up (bounded), then kill.
    let seen: ProjectionSummary | undefined;
    for (let tries = 0; tries < 2_000; tries += 1) {
      seen = ((await http(serve.httpUrl, 'GET', '/projections')).body as ProjectionSummary[])[0];
      if (seen !== undefined && seen.checkpoint > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(seen?.checkpoint, 'a commit came before the end of the catch-up').toBeGreaterThan(0);
    expect(seen?.checkpoint, 'the catch-up was not over when killed').toBeLessThan(EVENTS);
    await serve.stop('SIGKILL');

    serve = await startServe(['--config', config]);
    const read = await http(serve.httpUrl, 'GET', `/projections/fold?atLeast=${EVENTS}&timeoutMs=60000&limit=1000`);
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    const page = read.body as { entries: { key: string; value: { n: number; sum: number } }[]; more: boolean; checkpoint: number; status: string };
    expect(page.status).toBe('running');
    expect(page.checkpoint).toBe(EVENTS);
    expect(page.more).toBe(false);
    expect(new Map(page.entries.map((entry) => [entry.key, entry.value]))).toEqual(expected);
  }, 120_000);
});
