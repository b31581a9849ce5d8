// The command cycle (issue 18): many aggregates (one stream each, about 20 events), commands
// kept in flight from one client, each a read of its aggregate's stream, a fold, a decision and
// an append with the expected version. Tauon's command handler against `tauon serve` on lmdb
// (its own process, over WebSocket), beside the same cycle written by hand on PostgreSQL in the
// same run: SELECT the stream, INSERT with a unique (stream, seq) constraint, a pool of 16
// connections, the same decider. That is what a user of an event-sourcing library on PostgreSQL
// gets. Both run the same commands, on the same aggregates, in the same order.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { commandHandler } from '../../client/index.js';
import { decisionEvents } from '../../client/decider.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { tempDir } from '../../test/support/temp-dir.js';
import { quantile } from '../figure.js';
import { account, accountStream, deposits, type Deposit } from './aggregate-counter.js';
import { withinDeadline } from './deadline.js';
import { withClient, withReferenceServer } from './reference-server.js';

/** The size of one command-cycle measurement. */
export interface CommandCyclePlan {
  /** Aggregates, one stream each. @default 100,000 */
  aggregates: number;
  /** Events each aggregate holds before the commands. @default 20 */
  eventsPerAggregate: number;
  /** Commands per run. @default 20,000 */
  commands: number;
  /** Commands in flight at once. @default 256 */
  inFlight: number;
  /** Runs of the commands (on the same aggregates, which grow by the commands of each run). @default 3 */
  runs: number;
}

export const COMMAND_CYCLE_PLAN: CommandCyclePlan = { aggregates: 100_000, eventsPerAggregate: 20, commands: 20_000, inFlight: 256, runs: 3 };

/** One side's outcome, per run. */
export interface CycleRuns {
  /** Commands per second, per run. */
  perSecond: number[];
  /** The 99th percentile of the commands' latencies, per run, in ms. */
  p99Ms: number[];
  /** Commands decided more than once (conflicts: two commands on one aggregate at once), over all runs. */
  retried: number;
}

/** The aggregate of command `index` of run `run`: spread over all of them, the same on both sides. */
function aggregateOf(plan: CommandCyclePlan, run: number, index: number): number {
  // A multiplicative hash spreads consecutive commands over the aggregates (2654435761: Knuth's).
  return Number((BigInt(run * plan.commands + index) * 2654435761n) % BigInt(plan.aggregates));
}

/** Runs `plan.commands` commands, `plan.inFlight` at a time; resolves with the rate and the p99 latency. */
async function runCommands(
  plan: CommandCyclePlan,
  run: number,
  command: (aggregate: number, deposit: Deposit) => Promise<number>,
): Promise<{ perSecond: number; p99Ms: number; retried: number }> {
  const latencies: number[] = [];
  let next = 0;
  let retried = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.commands) {
      const index = next++;
      const started = performance.now();
      const attempts = await command(aggregateOf(plan, run, index), { amount: (index % 100) + 1 });
      latencies.push(performance.now() - started);
      if (attempts > 1) retried += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: plan.inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: plan.commands / seconds, p99Ms: quantile(latencies, 0.99), retried };
}

/** Writes the aggregates into a fresh lmdb store through its own bulk path (not the wire), before the server opens it. */
async function fillLmdb(path: string, plan: CommandCyclePlan): Promise<void> {
  const store = await LmdbStore.open(path, { sync: false });
  try {
    const perCall = Math.max(1, Math.floor(10_000 / plan.eventsPerAggregate));
    for (let first = 0; first < plan.aggregates; first += perCall * 4) {
      const calls: Promise<unknown>[] = [];
      // Four calls in flight share a commit (the store's group commit).
      for (let call = first; call < Math.min(plan.aggregates, first + perCall * 4); call += perCall) {
        const requests = [];
        for (let n = call; n < Math.min(plan.aggregates, call + perCall); n += 1) {
          requests.push({ stream: accountStream(n), events: deposits(plan.eventsPerAggregate, `fill-${n}`), expected: 'none' as const, dedupe: false });
        }
        calls.push(store.append(requests));
      }
      await Promise.all(calls);
    }
  } finally {
    await store.close();
  }
}

/** Tauon's command handler against `tauon serve` on lmdb. */
export async function tauonCommandCycle(plan: CommandCyclePlan = COMMAND_CYCLE_PLAN): Promise<CycleRuns> {
  const data = await tempDir('bench-command-cycle');
  try {
    await fillLmdb(data.path, plan);
    return await withReferenceServer(
      (server) =>
        withClient(
          server.url,
          (client) =>
            withinDeadline(900_000, 'the Tauon command cycle', (async () => {
              const accounts = commandHandler(client, account, { maxRetries: 10 });
              const outcome: CycleRuns = { perSecond: [], p99Ms: [], retried: 0 };
              for (let run = 0; run < plan.runs; run += 1) {
                const measured = await runCommands(plan, run, async (aggregate, deposit) => (await accounts.handle(accountStream(aggregate), deposit)).attempts);
                outcome.perSecond.push(measured.perSecond);
                outcome.p99Ms.push(measured.p99Ms);
                outcome.retried += measured.retried;
              }
              return outcome;
            })()),
          // As many appends on their way as commands in flight: each carries an expected version, so it travels alone.
          { maxAppendsInFlight: plan.inFlight },
        ),
      data.path,
    );
  } finally {
    await data.remove();
  }
}

/** The PostgreSQL error of a unique constraint that did not hold. */
const UNIQUE_VIOLATION = '23505';

/** The same cycle by hand on PostgreSQL: a table of its own in a schema made for the run, dropped after. */
export async function postgresCommandCycle(url: string, plan: CommandCyclePlan = COMMAND_CYCLE_PLAN): Promise<CycleRuns> {
  const schema = `bench_cycle_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.query(`CREATE TABLE ${schema}.events (stream text NOT NULL, seq integer NOT NULL, type text NOT NULL, data jsonb NOT NULL, PRIMARY KEY (stream, seq))`);
    await admin.query(
      `INSERT INTO ${schema}.events (stream, seq, type, data)
       SELECT 'account-' || a, s, 'Deposited', jsonb_build_object('amount', s)
       FROM generate_series(0, $1::int - 1) AS a, generate_series(1, $2::int) AS s`,
      [plan.aggregates, plan.eventsPerAggregate],
    );
    await admin.query(`ANALYZE ${schema}.events`);
    const pool = new pg.Pool({ connectionString: url, max: 16 });
    try {
      const select = { name: `${schema}-select`, text: `SELECT seq, type, data FROM ${schema}.events WHERE stream = $1 ORDER BY seq` };
      const insert = { name: `${schema}-insert`, text: `INSERT INTO ${schema}.events (stream, seq, type, data) VALUES ($1, $2, $3, $4)` };
      const handle = async (stream: string, deposit: Deposit): Promise<number> => {
        for (let attempt = 1; ; attempt += 1) {
          const { rows } = await pool.query<{ seq: number; type: 'Deposited'; data: { amount: number } }>({ ...select, values: [stream] });
          let state = account.initialState();
          for (const row of rows) state = account.evolve(state, { type: row.type, data: row.data });
          const version = rows.at(-1)?.seq ?? 0;
          const [event] = decisionEvents(await account.decide(deposit, state));
          try {
            await pool.query({ ...insert, values: [stream, version + 1, event!.type, event!.data] });
            return attempt;
          } catch (error) {
            if ((error as { code?: string }).code !== UNIQUE_VIOLATION || attempt > 10) throw error;
          }
        }
      };
      return await withinDeadline(900_000, 'the PostgreSQL command cycle', (async () => {
        const outcome: CycleRuns = { perSecond: [], p99Ms: [], retried: 0 };
        for (let run = 0; run < plan.runs; run += 1) {
          const measured = await runCommands(plan, run, (aggregate, deposit) => handle(accountStream(aggregate), deposit));
          outcome.perSecond.push(measured.perSecond);
          outcome.p99Ms.push(measured.p99Ms);
          outcome.retried += measured.retried;
        }
        return outcome;
      })());
    } finally {
      await pool.end();
    }
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}
