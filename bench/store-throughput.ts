// Emit and replay throughput through the reference server (its own process) on each store,
// over WebSocket, measured in the same run; the lmdb store is the baseline of the ratio.
// Run: npx tsx bench/store-throughput.ts   (needs PostgreSQL and NATS on 127.0.0.1 and a build: npm run build)
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { wsTransport } from '../transports/ws/index.js';
import { JetStreamStore } from '../server-reference/stores/jetstream-store.js';
import { startServe } from '../test/support/cli-process.js';
import { tempDir } from '../test/support/temp-dir.js';
import { measure } from './transport-throughput.js';

const { Client } = pg;
const id = randomBytes(4).toString('hex');
const dir = await tempDir('bench-stores');
const setups: [string, string[]][] = [
  ['lmdb', ['--data', dir.path]],
  ['postgres', ['--store', `postgres://postgres@127.0.0.1/test?schema=bench_${id}`]],
  ['jetstream', ['--store', `nats://127.0.0.1:4222?stream=BENCH_${id}&subjectPrefix=bench${id}`]],
];
const results = new Map<string, { emit: number; replay: number }>();
try {
  for (const [name, flags] of setups) {
    const server = await startServe([...flags, '--port', '0']);
    try {
      results.set(name, await measure(wsTransport(server.url)));
    } finally {
      await server.stop();
    }
  }
} finally {
  await dir.remove();
  await JetStreamStore.destroy('nats://127.0.0.1:4222', { stream: `BENCH_${id}` });
  const pg = new Client({ connectionString: 'postgres://postgres@127.0.0.1/test' });
  await pg.connect();
  await pg.query(`DROP SCHEMA IF EXISTS bench_${id} CASCADE`);
  await pg.end();
}
const base = results.get('lmdb')!;
for (const [name, figures] of results) {
  console.log(`emit on ${name}: ${Math.round(figures.emit)} events/s (${(figures.emit / base.emit).toFixed(2)} x lmdb)`);
  console.log(`replay on ${name}: ${Math.round(figures.replay)} events/s (${(figures.replay / base.replay).toFixed(2)} x lmdb)`);
}
