// `npm run bench`: Tauon's figures beside baselines measured in the same run on this machine,
// each the median of several runs, printed as `NAME: VALUE UNIT (RATIO x BASELINE)` and written
// to bench/results/latest.json. Client and servers run in separate processes. RabbitMQ,
// PostgreSQL and NATS on 127.0.0.1 are used when they answer; a figure whose service is absent
// is left out with a message. See README.md, "Performance".
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { connect } from '../client/index.js';
import { wsTransport } from '../transports/ws/index.js';
import { SERVICE_HOST, SERVICE_PORTS, serviceAvailable } from '../test/support/services.js';
import { figure, formatFigure, median, medianOf, resultsOf, writeFigures, type Figure } from './figure.js';
import { rawWsHundredEventFrames, rawWsOneEventFrames } from './baselines/raw-ws.js';
import { rawLmdbAppend, rawLmdbRangeRead } from './baselines/raw-lmdb.js';
import { jetStreamAsyncPublish, jetStreamOrderedReplay } from './baselines/jetstream-client.js';
import { relayFanOut, relayLiveLatency } from './baselines/ws-relay.js';
import { ackLatency } from './figures/ack-latency.js';
import { coresBusy } from './figures/fan-out-latency.js';
import { fanOutLatency, liveLatency } from './figures/live-latency.js';
import { seekTimeToFirstEvent } from './figures/seek.js';
import { stalledSubscriberRssGrowth } from './figures/stalled-rss.js';
import { checkpointCost, groupThroughput, rebalanceTimes } from './figures/group-figures.js';
import { aggregateLoadTimes, SNAPSHOT_EVERY } from './figures/aggregate-load.js';
import { COMMAND_CYCLE_PLAN, postgresCommandCycle, tauonCommandCycle } from './figures/command-cycle.js';
import { projectionCatchUp } from './figures/projection-catch-up.js';
import { browserBundleFigures, bytesByPart } from './figures/browser-bundle.js';
import { IN_FLIGHT, measureAmqp, measureLongReplay, measureStores, measureThroughput, withLmdbServer } from './tauon-figures.js';

const RUNS = 3;
const EMIT_EVENTS = 100_000;
const REPLAY_EVENTS = 1_000_000;
const OTHER_TRANSPORT_EVENTS = 50_000;
const GROUP_EVENTS = 1_000_000;
const GROUP_MEMBERS = 4;
const CHECKPOINT_EVENTS = 200_000;
const REBALANCE_RUNS = 5;
const PROJECTION_EVENTS = 1_000_000;
const RESULTS = fileURLToPath(new URL('./results/latest.json', import.meta.url));
const EVENTS_PER_S = 'events/s';

const figures: Figure[] = [];
function report(f: Figure): void {
  figures.push(f);
  console.log(formatFigure(f));
}
const started = performance.now();
const step = (what: string): void => console.error(`[bench] ${((performance.now() - started) / 1000).toFixed(0)} s: ${what}`);

const [hasRabbit, hasPostgres, hasNats] = await Promise.all([
  serviceAvailable(SERVICE_HOST, SERVICE_PORTS.rabbitmq),
  serviceAvailable(SERVICE_HOST, SERVICE_PORTS.postgres),
  serviceAvailable(SERVICE_HOST, SERVICE_PORTS.nats),
]);

step('baselines: raw ws + msgpackr');
const rawWsOne = await medianOf(RUNS, () => rawWsOneEventFrames());
const rawWsHundred = await medianOf(RUNS, () => rawWsHundredEventFrames());
step('baselines: raw lmdb');
const rawLmdbWrite = await medianOf(RUNS, () => rawLmdbAppend());
const rawLmdbRead = await medianOf(RUNS, () => rawLmdbRangeRead());
let jsPublish: number | undefined;
let jsReplay: number | undefined;
if (hasNats) {
  step('baselines: NATS JetStream with its own client');
  jsPublish = await medianOf(RUNS, () => jetStreamAsyncPublish());
  jsReplay = await medianOf(RUNS, () => jetStreamOrderedReplay());
} else {
  step('NATS is not on 127.0.0.1:4222: the JetStream baselines are left out');
}
step('baselines: a bare ws relay that syncs each turn to disk, live and fan-out at 10,000 events/s');
/** A relay baseline that fails is said; the figures are then printed against their targets only. */
const relayFailed = (what: string) => (error: unknown) => {
  console.log(`${what}: FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
  return undefined;
};
const relayLives = await resultsOf(RUNS, () => relayLiveLatency()).catch(relayFailed('relay live latency'));
const relayLiveP99 = relayLives === undefined ? undefined : median(relayLives.map((run) => run.p99Ms));
/** The relay's fan-out p99 by number of followers, and in how many runs all of them kept up. */
const relayFanOuts = new Map<number, { p99Ms: number; keptUp: number; cores: string }>();
for (const followers of [100, 50]) {
  const runs = await resultsOf(RUNS, () => relayFanOut(followers)).catch(relayFailed(`relay fan-out, ${followers} followers`));
  if (runs === undefined) continue;
  relayFanOuts.set(followers, {
    p99Ms: median(runs.map((run) => run.p99Ms)),
    keptUp: runs.filter((run) => run.everyoneGotAll).length,
    cores: coresBusy(runs),
  });
}

const amqp = hasRabbit ? { url: `amqp://${SERVICE_HOST}`, service: `tauon-bench-${randomBytes(4).toString('hex')}` } : undefined;
step('Tauon on lmdb over ws: emit, replay');
const lmdb = await withLmdbServer(amqp, async (server) => {
  const ws = await measureThroughput(wsTransport(server.url), EMIT_EVENTS, RUNS);
  const client = await connect(wsTransport(server.url));
  let longReplay: number;
  try {
    longReplay = await measureLongReplay(client, REPLAY_EVENTS, RUNS);
  } finally {
    await client.close();
  }
  let overAmqp: { ws: { emit: number; replay: number }; amqp: { emit: number; replay: number } } | undefined;
  if (amqp !== undefined) {
    step('Tauon over amqp beside ws');
    overAmqp = {
      ws: await measureThroughput(wsTransport(server.url), OTHER_TRANSPORT_EVENTS, RUNS),
      amqp: await measureAmqp(amqp, OTHER_TRANSPORT_EVENTS, RUNS),
    };
  }
  return { ws, longReplay, overAmqp };
});

report(figure('emit, one client, acked, durable', lmdb.ws.emit, EVENTS_PER_S, 'raw ws 100 a frame', rawWsHundred));
report(figure('emit, one client', lmdb.ws.emit, EVENTS_PER_S, 'raw ws one event a frame', rawWsOne));
report(figure('emit, one client', lmdb.ws.emit, EVENTS_PER_S, 'raw lmdb append', rawLmdbWrite));
if (jsPublish !== undefined) {
  report(figure(`emit, ${IN_FLIGHT} in flight`, lmdb.ws.emit, EVENTS_PER_S, `JetStream async publish, ${IN_FLIGHT} in flight`, jsPublish));
}
report(figure('replay, cold, 1,000,000 events', lmdb.longReplay, EVENTS_PER_S, 'raw ws 100 a frame', rawWsHundred));
report(figure('replay, cold, 1,000,000 events', lmdb.longReplay, EVENTS_PER_S, 'raw lmdb range read', rawLmdbRead));
if (jsReplay !== undefined) {
  report(figure('replay, cold, 1,000,000 events', lmdb.longReplay, EVENTS_PER_S, 'JetStream ordered consumer', jsReplay));
}
if (lmdb.overAmqp !== undefined) {
  report(figure('emit over amqp', lmdb.overAmqp.amqp.emit, EVENTS_PER_S, 'emit over ws', lmdb.overAmqp.ws.emit));
  report(figure('replay over amqp', lmdb.overAmqp.amqp.replay, EVENTS_PER_S, 'replay over ws', lmdb.overAmqp.ws.replay));
} else {
  step('RabbitMQ is not on 127.0.0.1:5672: the amqp figures are left out');
}

step('latency: emit to ack');
const acks = await resultsOf(RUNS, () => ackLatency());
report(figure('emit to ack latency p50', median(acks.map((ack) => ack.p50Ms)), 'ms', 'target 1 ms', 1));
report(figure('emit to ack latency p99', median(acks.map((ack) => ack.p99Ms)), 'ms', 'target 5 ms', 5));
step('latency: emit to live subscriber at 10,000 events/s');
const lives = await resultsOf(RUNS, () => liveLatency());
const liveP99 = median(lives.map((live) => live.p99Ms));
report(figure('emit to live subscriber p99 at 10,000 events/s', liveP99, 'ms', 'target 10 ms', 10));
if (relayLiveP99 !== undefined) {
  report(figure('emit to live subscriber p99 at 10,000 events/s', liveP99, 'ms', 'bare ws relay syncing each turn, p99', relayLiveP99));
}
step('fan-out: 100 and 50 live subscribers at 10,000 events/s');
// The subscribers live in two processes of their own (one connection each), so that decoding
// a million events a second is spread over both cores; on a 2-core machine the server, the
// producer and the subscribers then share them. 50 subscribers show where it stands below that.
for (const subscribers of [100, 50]) {
  // A run that fails (a subscriber process died) is said, and the remaining figures still run.
  const runs = await resultsOf(RUNS, () => fanOutLatency(subscribers, 10_000, 5, 2)).catch((error: unknown) => {
    console.log(`fan-out, ${subscribers} subscribers: FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
    return undefined;
  });
  if (runs === undefined) continue;
  if (!runs.every((run) => run.everyoneSound)) {
    console.log(`fan-out, ${subscribers} subscribers: NOT every subscriber received its events in order (or a subscription failed)`);
    process.exitCode = 1;
  } else if (!runs.every((run) => run.everyoneGotAll)) {
    const worst = runs.reduce((a, b) => (a.leastReceived / a.sent <= b.leastReceived / b.sent ? a : b));
    const kept = runs.filter((run) => run.everyoneGotAll).length;
    console.log(
      `fan-out, ${subscribers} subscribers: ${kept} of ${runs.length} runs kept up; in the worst, ${worst.drainMs / 1000} s after the last emit the slowest had ${worst.leastReceived} of ${worst.sent} events, in order`,
    );
  }
  const p99 = median(runs.map((run) => run.p99Ms));
  report(figure(`fan-out, ${subscribers} subscribers at 10,000 events/s, p99`, p99, 'ms', 'target 50 ms', 50));
  const relay = relayFanOuts.get(subscribers);
  if (relay !== undefined) {
    const baseline = `bare ws relay, ${subscribers} followers (all kept up in ${relay.keptUp} of ${RUNS} runs), p99`;
    report(figure(`fan-out, ${subscribers} subscribers at 10,000 events/s, p99`, p99, 'ms', baseline, relay.p99Ms));
  }
  // Whether the machine had cores to spare: past about 2 in all, subscribers fall behind.
  console.log(`fan-out, ${subscribers} subscribers: cores busy, medians of ${RUNS} runs: ${coresBusy(runs)}${relay === undefined ? '' : `; the bare relay's: ${relay.cores}`}`);
}
step('seek: the last 100 of a 10,000,000-event stream');
const seek = await seekTimeToFirstEvent({ log: (line) => step(line) });
report(figure('seek to the last 100 of 10,000,000 events, time to first event', seek.bigMs, 'ms', 'the same on 10,000 events', seek.smallMs));
step('a stalled subscriber while 1,000,000 events are appended');
const stalled = await resultsOf(RUNS, () => stalledSubscriberRssGrowth());
report(figure('server RSS growth, stalled subscriber, 1,000,000 events', median(stalled.map((run) => run.growthMb)), 'MB', 'target 100 MB', 100));
// RSS counts the pages of lmdb's memory-mapped file that the appends touched (the kernel takes
// them back under pressure); the anonymous part is the server's own heap and buffers.
report(figure('server anonymous RSS growth (heap, buffers), same runs', median(stalled.map((run) => run.anonGrowthMb)), 'MB', 'target 100 MB', 100));

step(`consumer groups: ${GROUP_MEMBERS} members acknowledging every event of 1,000,000, beside the cold replay`);
// Each member a process of its own (bench/figures/group-member-child.ts), the server on lmdb.
const groups = await groupThroughput(GROUP_EVENTS, GROUP_MEMBERS, RUNS);
report(figure(`group, ${GROUP_MEMBERS} members, per-event acks, 1,000,000 events`, groups.group, EVENTS_PER_S, 'cold replay of the same stream (goal 0.5x)', groups.replay));
// Where the time goes: with the machine's cores busy in both, the ratio is that of the CPU time per event.
const us = (value: number) => `${value.toFixed(2)} us`;
console.log(
  `group CPU per event: server ${us(groups.groupCpu.server)}, members together ${us(groups.groupCpu.members)}; ` +
    `the replay's: server ${us(groups.replayCpu.server)}, subscriber ${us(groups.replayCpu.subscriber)} (medians of ${RUNS} runs)`,
);
step('consumer groups: one durable consumer acknowledging every event, beside the cold replay');
const checkpoints = await checkpointCost(CHECKPOINT_EVENTS, RUNS);
report(figure('durable consumer, every event acknowledged', checkpoints.acked, EVENTS_PER_S, 'unacknowledged cold replay', checkpoints.replay));
step(`consumer groups: rebalance after a member's SIGKILL and after a clean leave, ${REBALANCE_RUNS} runs each`);
const rebalance = await rebalanceTimes(3, REBALANCE_RUNS);
report(figure('rebalance after SIGKILL (default lease), p50', median(rebalance.killed), 'ms', 'goal 2,000 ms', 2_000));
report(figure('rebalance after SIGKILL (default lease), max', Math.max(...rebalance.killed), 'ms', 'goal 2,000 ms', 2_000));
report(figure('rebalance after a clean leave, p50', median(rebalance.left), 'ms', 'goal 200 ms', 200));
report(figure('rebalance after a clean leave, max', Math.max(...rebalance.left), 'ms', 'goal 200 ms', 200));

// Aggregates (issue 18). TAUON_BENCH_QUICK=1 runs the command cycle on 10,000 aggregates, once.
step('aggregates: load time of 100,000 events, with and without snapshots, beside 1,000');
const loads = await aggregateLoadTimes();
report(figure('aggregate load, 100,000 events, no snapshots', loads.large, 'ms', '1,000 events', loads.small));
report(figure(`aggregate load, 100,000 events, a snapshot every ${SNAPSHOT_EVERY} (${SNAPSHOT_EVERY - 1} events after it)`, loads.largeSnapshot, 'ms', '1,000 events', loads.small));
const cyclePlan = process.env['TAUON_BENCH_QUICK'] === '1' ? { ...COMMAND_CYCLE_PLAN, aggregates: 10_000, commands: 5_000, runs: 1 } : COMMAND_CYCLE_PLAN;
const cycleName = `command cycle, ${cyclePlan.aggregates.toLocaleString('en')} aggregates, ${cyclePlan.inFlight} in flight`;
step(`${cycleName}: Tauon on lmdb, then by hand on PostgreSQL`);
const tauonCycle = await tauonCommandCycle(cyclePlan);
if (hasPostgres) {
  const pgCycle = await postgresCommandCycle(`postgres://postgres@${SERVICE_HOST}:${SERVICE_PORTS.postgres}/test`, cyclePlan);
  report(figure(`${cycleName}, lmdb`, median(tauonCycle.perSecond), 'commands/s', 'the same by hand on PostgreSQL, pool of 16 (goal 3x)', median(pgCycle.perSecond)));
  report(figure(`${cycleName}, lmdb, p99`, median(tauonCycle.p99Ms), 'ms', 'the same by hand on PostgreSQL, p99', median(pgCycle.p99Ms)));
  console.log(`${cycleName}: commands decided again after a conflict: Tauon ${tauonCycle.retried}, PostgreSQL ${pgCycle.retried}`);
} else {
  step('PostgreSQL is not on 127.0.0.1:5432: the command cycle is printed without its baseline');
}
report(figure(`${cycleName}, lmdb, p99`, median(tauonCycle.p99Ms), 'ms', 'goal 10 ms', 10));
step('server-side projections: the catch-up of a keyed projection over 1,000,000 events, beside the cold replay');
// The projection given by the configuration file of `tauon serve` on lmdb, rebuilt from the start in each run.
const projection = await projectionCatchUp(PROJECTION_EVENTS, RUNS);
report(figure('projection catch-up, 1,000 keys, 1,000,000 events', projection.projection, EVENTS_PER_S, 'cold replay of the same stream (goal 0.5x)', projection.replay));
console.log(
  `projection CPU per event: server ${us(projection.cpu.projectionServer)}; ` +
    `the replay's: server ${us(projection.cpu.replayServer)}, subscriber ${us(projection.cpu.replaySubscriber)} (medians of ${RUNS} runs)`,
);

if (hasPostgres || hasNats) {
  step('Tauon on PostgreSQL and JetStream beside lmdb');
  const others = await measureStores(
    {
      ...(hasPostgres ? { postgres: `postgres://postgres@${SERVICE_HOST}:${SERVICE_PORTS.postgres}/test` } : {}),
      ...(hasNats ? { nats: `nats://${SERVICE_HOST}:${SERVICE_PORTS.nats}` } : {}),
    },
    OTHER_TRANSPORT_EVENTS,
    RUNS,
  );
  const base = lmdb.overAmqp?.ws ?? lmdb.ws;
  for (const [name, throughput] of others) {
    report(figure(`emit on ${name}`, throughput.emit, EVENTS_PER_S, 'emit on lmdb', base.emit));
    report(figure(`replay on ${name}`, throughput.replay, EVENTS_PER_S, 'replay on lmdb', base.replay));
  }
}

step('the browser bundle: tauon/client + tauon/transports/ws, esbuild, minified, gzipped');
const browserBundle = await browserBundleFigures();
browserBundle.figures.forEach(report);
console.log(`browser bundle, minified bytes by part: ${bytesByPart(browserBundle.size).map(([part, bytes]) => `${part} ${bytes}`).join(', ')}`);

await writeFigures(RESULTS, figures);
step(`done; written to ${RESULTS}`);
