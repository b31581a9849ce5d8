// The catch-up of a server-side projection (issue 18) over a million events, beside the cold
// replay of the same stream to a client in the same run: `tauon serve` on lmdb in its own
// process, the projection given by its configuration file, caught up again from the start by
// `POST /projections/{name}/rebuild` in each run.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client, EmitEvent } from '../../client/index.js';
import { startServe, type ServeProcess } from '../../test/support/cli-process.js';
import { sendHttp } from '../../test/support/http-request.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { BENCH_TYPE, benchData } from '../bench-event.js';
import { median } from '../figure.js';
import { replayThroughput } from '../tauon-throughput.js';
import { withinDeadline } from './deadline.js';
import { cpuSeconds } from './process-stats.js';
import { withClient } from './reference-server.js';

/** Keys the events are spread over, and so the states of the keyed projection. */
const KEYS = 1_000;
const STREAM = 'bench-projection';
const NAME = 'per-key';

/**
 * A keyed projection as users write one: per key, how many events and the newest seq. (A module of
 * plain JavaScript, as the configuration file names it.)
 */
const PROJECTION_MODULE = `
export default {
  name: '${NAME}',
  stream: '${STREAM}',
  initial: { count: 0, last: 0 },
  key: (event) => event.key,
  evolve: (state, event) => ({ count: state.count + 1, last: event.seq }),
};
`;

/** What the figure measured, events a second, and the CPU time per event in microseconds. */
export interface ProjectionCatchUp {
  /** The projection's catch-up from the start of the stream, to its head. */
  readonly projection: number;
  /** The cold replay of the same stream to one subscriber. */
  readonly replay: number;
  readonly cpu: { readonly projectionServer: number; readonly replayServer: number; readonly replaySubscriber: number };
}

/**
 * Fills a stream with `events` events on a server that runs the projection, then, `runs` times:
 * the cold replay of the stream, and the projection's rebuild timed until its checkpoint is the
 * stream's head.
 */
export async function projectionCatchUp(events: number, runs: number): Promise<ProjectionCatchUp> {
  const dir = await tempDir('bench-projection');
  try {
    await writeFile(join(dir.path, 'projection.mjs'), PROJECTION_MODULE);
    const config = join(dir.path, 'tauon.config.json');
    await writeFile(config, JSON.stringify({ stores: { main: { kind: 'lmdb', path: './data' } }, listen: { port: 0 }, projections: ['./projection.mjs'] }));
    const server = await startServe(['--config', config]);
    try {
      return await withClient(server.url, async (client) => {
        await fill(client, events);
        await caughtUp(server, events, 600_000);
        const pid = server.child.pid!;
        const perEvent = (seconds: number) => (seconds * 1e6) / events;
        const replays: number[] = [];
        const catchUps: number[] = [];
        const cpu = { projectionServer: [] as number[], replayServer: [] as number[], replaySubscriber: [] as number[] };
        for (let run = 0; run < runs; run++) {
          const [serverBefore, ownBefore] = [await cpuSeconds(pid), process.cpuUsage()];
          replays.push(await replayThroughput(client, STREAM, events));
          const own = process.cpuUsage(ownBefore);
          cpu.replaySubscriber.push(perEvent((own.user + own.system) / 1e6));
          cpu.replayServer.push(perEvent((await cpuSeconds(pid)) - serverBefore));
          const projectionBefore = await cpuSeconds(pid);
          const started = performance.now();
          const rebuilt = await sendHttp(`${server.httpUrl}/projections/${NAME}/rebuild`, { method: 'POST', headers: { 'content-type': 'application/json' } });
          if (rebuilt.status !== 200) throw new Error(`the rebuild failed: ${rebuilt.status} ${rebuilt.body}`);
          await withinDeadline(600_000, 'the projection catch-up', caughtUp(server, events, 600_000));
          catchUps.push(events / ((performance.now() - started) / 1000));
          cpu.projectionServer.push(perEvent((await cpuSeconds(pid)) - projectionBefore));
        }
        return {
          projection: median(catchUps),
          replay: median(replays),
          cpu: { projectionServer: median(cpu.projectionServer), replayServer: median(cpu.replayServer), replaySubscriber: median(cpu.replaySubscriber) },
        };
      });
    } finally {
      await server.stop();
    }
  } finally {
    await dir.remove();
  }
}

async function fill(client: Client, events: number): Promise<void> {
  const FRAME = 250;
  const inFlight: Promise<unknown>[] = [];
  for (let n = 0; n < events; n += FRAME) {
    const batch: EmitEvent[] = [];
    for (let i = n; i < Math.min(events, n + FRAME); i++) batch.push({ type: BENCH_TYPE, key: `k${i % KEYS}`, data: benchData(i) });
    inFlight.push(client.emit(STREAM, batch));
    if (inFlight.length >= 80) await inFlight.shift();
  }
  await Promise.all(inFlight);
}

/** Waits (reads that wait on the server, each at most 60 s, until `ms`) until the projection's checkpoint is `head`. */
async function caughtUp(server: ServeProcess, head: number, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  for (;;) {
    const answer = await sendHttp(`${server.httpUrl}/projections/${NAME}?atLeast=${head}&timeoutMs=5000&limit=1`);
    if (answer.status === 200) return;
    if (answer.status !== 504) throw new Error(`the projection read failed: ${answer.status} ${answer.body}`);
    if (performance.now() > deadline) throw new Error(`the projection did not catch up within ${ms} ms: ${answer.body}`);
  }
}
