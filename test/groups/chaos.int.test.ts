// Consumer groups with real processes killed (issue 17, "Tests that must exist"): members that
// are `client.process` in processes of their own, killed with SIGKILL at random and started
// again, a server killed and started again on its store; a durable consumer restarted; a member
// paused past its lease. Every run prints its counts (`[chaos] ...`).
//
// TAUON_CHAOS_EVENTS sets the events of the member runs (default 100,000, as the issue asks);
// TAUON_CHAOS_SEED their random choices (kill times, victims), printed with each run.
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';
import { POSTGRES_URL, TestSchemas, postgresAvailable } from '../stores/postgres-fixture.js';
import { NATS_URL, TestStores, natsAvailable } from '../stores/jetstream-fixture.js';
import { ChaosServer } from './chaos-servers.js';
import { runChaos, type ChaosPlan, type ChaosReport } from './chaos-scenario.js';
import { seededRandom } from './chaos-random.js';
import { runDurable } from './chaos-durable.js';
import { runZombie } from './chaos-zombie.js';

const EVENTS = Number(process.env['TAUON_CHAOS_EVENTS'] ?? 100_000);
const SEED = Number(process.env['TAUON_CHAOS_SEED'] ?? Math.floor(Math.random() * 2 ** 31));

const [hasPostgres, hasNats] = [await postgresAvailable(), await natsAvailable()];

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The plan every member run shares, on the given servers. */
function plan(servers: ChaosServer[], dir: string, seed: number): ChaosPlan {
  return {
    servers,
    dir,
    events: EVENTS,
    keys: 1_000,
    members: 3,
    partitions: 16,
    failing: 10,
    maxDeliveries: 4,
    memberKills: 6,
    serverRestarts: 1,
    chaosMs: 12_000,
    timeoutMs: 100_000,
    random: seededRandom(seed),
  };
}

function print(label: string, seed: number, report: ChaosReport): void {
  console.log(
    `[chaos] ${label}: events ${report.events}, processed ${report.processed} (duplicates ${report.duplicates}), ` +
      `failed on purpose ${report.failedRuns} runs, parked ${report.parked}, runs cut by a kill ${report.killedRuns}, ` +
      `member kills ${report.memberKills} (restarts ${report.memberRestarts}), server restarts ${report.serverRestarts}, ` +
      `${(report.durationMs / 1000).toFixed(1)} s, seed ${seed}`,
  );
}

describe('consumer groups under chaos: processes killed', () => {
  it('lmdb: 3 member processes, members killed at random and a server restart; every event at least once, one member per key at a time, checkpoints at the head', async () => {
    const dir = await tempDir('chaos-lmdb');
    cleanups.push(dir.remove);
    const server = await ChaosServer.start(['--data', dir.path]);
    cleanups.push(() => server.stop());
    const report = await runChaos(plan([server], dir.path, SEED));
    print('lmdb', SEED, report);
    expect(report.problems).toEqual([]);
    expect(report.group.partitionList.every((p) => p.checkpoint === report.group.head && p.lag === 0)).toBe(true);
  }, 150_000);

  it.skipIf(!hasPostgres)('PostgreSQL: the same with the members on two servers in front of one database', async () => {
    const schemas = new TestSchemas();
    cleanups.push(() => schemas.dropAll());
    const dir = await tempDir('chaos-postgres');
    cleanups.push(dir.remove);
    const store = `${POSTGRES_URL}?schema=${schemas.fresh('chaos')}`;
    // One after the other: the first makes the schema.
    const first = await ChaosServer.start(['--store', store]);
    cleanups.push(() => first.stop());
    const second = await ChaosServer.start(['--store', store]);
    cleanups.push(() => second.stop());
    const report = await runChaos(plan([first, second], dir.path, SEED + 1));
    print('PostgreSQL, two servers', SEED + 1, report);
    expect(report.problems).toEqual([]);
  }, 150_000);

  it.skipIf(!hasNats)('JetStream: the same with the members on two servers in front of one JetStream', async () => {
    const stores = new TestStores();
    cleanups.push(() => stores.deleteAll());
    const dir = await tempDir('chaos-jetstream');
    cleanups.push(dir.remove);
    const names = stores.fresh();
    const store = `${NATS_URL}?stream=${names.stream}&subjectPrefix=${names.subjectPrefix}`;
    const first = await ChaosServer.start(['--store', store]);
    cleanups.push(() => first.stop());
    const second = await ChaosServer.start(['--store', store]);
    cleanups.push(() => second.stop());
    const report = await runChaos(plan([first, second], dir.path, SEED + 2));
    print('JetStream, two servers', SEED + 2, report);
    expect(report.problems).toEqual([]);
  }, 150_000);

  it('a durable single consumer killed twice goes on each time from the checkpoint the server kept, skipping nothing', async () => {
    const dir = await tempDir('chaos-durable');
    cleanups.push(dir.remove);
    const server = await ChaosServer.start(['--data', dir.path]);
    cleanups.push(() => server.stop());
    const report = await runDurable(server, dir.path, 30_000, 2);
    console.log(
      `[chaos] durable consumer: events ${report.events}, processed ${report.processed} (duplicates ${report.duplicates}), ` +
        `kills 2, resumed at ${report.resumes.map((r) => `${r.first} (checkpoint ${r.checkpoint})`).join(', ')}, ${(report.durationMs / 1000).toFixed(1)} s`,
    );
    expect(report.problems).toEqual([]);
    expect(report.resumes.every((r) => r.checkpoint > 0 && r.first === r.checkpoint + 1)).toBe(true);
  }, 120_000);

  it('a zombie member (SIGSTOP past its lease, then SIGCONT) is fenced and starts nothing of what it lost', async () => {
    const dir = await tempDir('chaos-zombie');
    cleanups.push(dir.remove);
    const server = await ChaosServer.start(['--data', dir.path]);
    cleanups.push(() => server.stop());
    const report = await runZombie(server, dir.path, 20_000, 1_000, 3_000);
    console.log(
      `[chaos] zombie: events ${report.events}, processed ${report.processed} (duplicates ${report.duplicates}), ` +
        `runs frozen by the pause ${report.pausedRuns}, fenced after waking ${report.fencedAfterWake}, lease lost after waking ${report.leaseLostAfterWake}, ` +
        `stale starts ${report.staleStarts}, ${(report.durationMs / 1000).toFixed(1)} s`,
    );
    expect(report.problems).toEqual([]);
  }, 150_000);
});
