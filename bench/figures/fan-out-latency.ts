// Fan-out: many live subscribers on one stream, a producer at a steady rate. The subscribers
// live in child processes (fan-out-subscribers.ts), one connection each, so that neither the
// producer nor the server shares an event loop with them; the server in its own process.
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from '../figure.js';
import { withinDeadline } from './deadline.js';
import type { SubscribersPlan } from './fan-out-subscribers.js';
import type { ExpectMessage, SubscribersMessage } from './subscriber-child.js';
import { LatencyHistogram } from './latency-histogram.js';
import { producePaced, type PacedRun } from './paced-producer.js';
import { CpuMeter } from './process-stats.js';
import { withClient, withReferenceServer } from './reference-server.js';

const SUBSCRIBERS_PROGRAM = fileURLToPath(new URL('./fan-out-subscribers.ts', import.meta.url));
/** The children run TypeScript as this process does: through tsx's loader. */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
/**
 * The seconds at the rate before latencies count, for Tauon's and the relay's alike. Fresh
 * processes start slow (V8 compiles as it goes): with 100 subscribers on 2 cores the first
 * events took ~100 ms to arrive, and the backlog of that start (200-800 ms) drained 1-4 s into
 * the run, so that after half a second's warm-up the p99 measured the start (0.2-1.1 s), not the
 * fan-out that follows it. Neither V8 optimising sooner (--interrupt-budget) nor a credit window
 * of 10,000 shortened that start reliably. The relay's followers, a few lines of code, settle
 * sooner.
 */
export const WARM_UP_SECONDS = 2;
/** How long the subscribers may still take to get the last event after the producer stopped. */
const DRAIN_MS = 5_000;

/** What the fan-out figure measured. */
export interface FanOutResult {
  /** Emit-to-receipt latency over every subscriber and event, in milliseconds. */
  p50Ms: number;
  p99Ms: number;
  /** Every subscriber received every event, in order, within the drain time after the last emit. */
  everyoneGotAll: boolean;
  /** Every subscriber's events came in order (however many arrived), and no subscription failed. */
  everyoneSound: boolean;
  /** The fewest events any subscriber had received by the end of the drain time, of `sent`. */
  leastReceived: number;
  sent: number;
  /** How long the subscribers were given after the last emit. */
  drainMs: number;
  /** Events a second the producer achieved. */
  achievedRate: number;
  /** Cores kept busy on average while producing: by the server, the subscriber processes together, this process. */
  serverCores: number;
  subscriberCores: number;
  producerCores: number;
}

/**
 * `subscribers` live (hot) subscribers on one stream, one connection each, spread over
 * `subscriberProcesses` child processes, while a producer emits `rate` events a second for
 * `seconds` (after WARM_UP_SECONDS whose latencies are not counted).
 */
export function fanOutLatency(
  subscribers = 100,
  rate = 10_000,
  seconds = 5,
  subscriberProcesses = 1,
): Promise<FanOutResult> {
  return withReferenceServer((server) =>
    measureFanOut(server.url, server.child.pid!, subscribers, rate, seconds, subscriberProcesses),
  );
}

/** {@link fanOutLatency} against a server already running (at `url`, process `serverPid`), e.g. one under a profiler. */
export function measureFanOut(
  url: string,
  serverPid: number,
  subscribers: number,
  rate: number,
  seconds: number,
  subscriberProcesses: number,
): Promise<FanOutResult> {
  const stream = `fan-out-${process.pid}-${Date.now()}`;
  const warmUp = Math.round(rate * WARM_UP_SECONDS);
  return withClient(url, (producer) =>
    fanOutThrough({
      program: SUBSCRIBERS_PROGRAM,
      plan: (share): SubscribersPlan => ({ url, stream, subscribers: share, warmUp }),
      produce: () => producePaced(producer, stream, rate, WARM_UP_SECONDS + seconds),
      serverPid,
      subscribers,
      subscriberProcesses,
      seconds,
    }),
  );
}

/** How {@link fanOutThrough} runs one fan-out measurement. */
export interface FanOutSetup {
  /** The subscriber program (it speaks SubscribersMessage over IPC) and its plan for a share of the subscribers. */
  readonly program: string;
  readonly plan: (share: number) => object;
  /** Produces for WARM_UP_SECONDS + `seconds`, its first WARM_UP_SECONDS' events not counted. */
  readonly produce: () => Promise<PacedRun>;
  /** The process that fans out, whose CPU is measured. */
  readonly serverPid: number;
  readonly subscribers: number;
  readonly subscriberProcesses: number;
  readonly seconds: number;
}

/** Spreads the subscribers over their processes, produces, and gathers what they received. */
export async function fanOutThrough(setup: FanOutSetup): Promise<FanOutResult> {
  const { subscribers, subscriberProcesses, seconds } = setup;
  const children: SubscriberProcess[] = [];
  try {
    for (let i = 0; i < subscriberProcesses; i++) {
      const share = Math.floor(subscribers / subscriberProcesses) + (i < subscribers % subscriberProcesses ? 1 : 0);
      children.push(new SubscriberProcess(setup.program, setup.plan(share)));
    }
    await withinDeadline(20_000, 'the subscribers to connect', Promise.all(children.map((child) => child.ready)));
    const serverCpu = await CpuMeter.start(setup.serverPid);
    const childCpus = await Promise.all(children.map((child) => CpuMeter.start(child.pid)));
    const ownCpu = await CpuMeter.start(process.pid);
    const run = await withinDeadline((WARM_UP_SECONDS + seconds) * 1000 + 10_000, 'the fan-out producer', setup.produce());
    const serverCores = await serverCpu.cores();
    const subscriberCores = (await Promise.all(childCpus.map((meter) => meter.cores()))).reduce((a, b) => a + b, 0);
    const producerCores = await ownCpu.cores();
    const results = await withinDeadline(
      DRAIN_MS + 5_000,
      'the subscribers to report',
      Promise.all(children.map((child) => child.finish(run.sent, DRAIN_MS))),
    );
    const histogram = new LatencyHistogram();
    for (const result of results) histogram.merge(new LatencyHistogram(result.counts));
    return {
      p50Ms: histogram.quantile(0.5),
      p99Ms: histogram.quantile(0.99),
      everyoneGotAll: results.every((result) => result.everyoneGotAll),
      everyoneSound: results.every((result) => result.everyoneSound),
      leastReceived: Math.min(...results.map((result) => result.leastReceived)),
      sent: run.sent,
      drainMs: DRAIN_MS,
      achievedRate: run.achievedRate,
      serverCores,
      subscriberCores,
      producerCores,
    };
  } finally {
    await Promise.all(children.map((child) => child.stop()));
  }
}

type Result = Extract<SubscribersMessage, { kind: 'result' }>;

/** One child process of subscribers, running `program` with its plan (as JSON) on the command line. */
class SubscriberProcess {
  readonly ready: Promise<void>;
  private readonly child: ChildProcess;
  private readonly result: Promise<Result>;
  private readonly exited: Promise<void>;

  constructor(program: string, plan: object) {
    this.child = fork(program, [JSON.stringify(plan)], {
      execArgv: ['--import', TSX_LOADER],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    const messages: SubscribersMessage[] = [];
    const waiting: ((message: SubscribersMessage) => void)[] = [];
    this.child.on('message', (message: SubscribersMessage) => {
      const waiter = waiting.shift();
      if (waiter === undefined) messages.push(message);
      else waiter(message);
    });
    const next = (): Promise<SubscribersMessage> =>
      new Promise((resolve, reject) => {
        const queued = messages.shift();
        if (queued !== undefined) return resolve(queued);
        waiting.push(resolve);
        void this.exited.then(() => {
          const { exitCode, signalCode } = this.child;
          reject(new Error(`the subscriber process ${this.child.pid} exited early (exit code ${exitCode}, signal ${signalCode})`));
        });
      });
    const expect = async <K extends SubscribersMessage['kind']>(kind: K) => {
      const message = await next();
      if (message.kind === 'failed') throw new Error(`the subscriber process failed: ${message.message}`);
      if (message.kind !== kind) throw new Error(`the subscriber process said ${message.kind}, not ${kind}`);
      return message as Extract<SubscribersMessage, { kind: K }>;
    };
    this.ready = expect('ready').then(() => undefined);
    this.result = this.ready.then(() => expect('result'));
    // Either may reject before anyone awaits it (the process died); the awaiting caller sees it.
    void this.ready.catch(() => undefined);
    void this.result.catch(() => undefined);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Tells the process the producer sent `count` events and waits for its result. */
  finish(count: number, drainMs: number): Promise<Result> {
    const message: ExpectMessage = { kind: 'expect', count, drainMs };
    this.child.send(message);
    return this.result;
  }

  /** Ends the process: it exits by itself after its result; one that does not is killed. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The cores the fan-out kept busy (medians over `runs`): the server, the subscriber processes together, the producer. */
export function coresBusy(runs: readonly FanOutResult[]): string {
  const cores = (of: (run: FanOutResult) => number): string => median(runs.map(of)).toFixed(2);
  return `server ${cores((run) => run.serverCores)}, subscribers ${cores((run) => run.subscriberCores)}, producer ${cores((run) => run.producerCores)}`;
}
