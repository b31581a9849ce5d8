// The chaos run of a consumer group (SPEC 17, issue 17): member processes on one or more
// servers, events emitted before and while they work, members killed with SIGKILL at random
// times and started again, a server killed and started again; then every promise checked from
// the members' logs (chaos-log.ts) and the group's own account (checkpoints at the head, parked
// events exactly where handlers failed on purpose).
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type Client, type GroupInfo } from '../../client/index.js';
import { wsTransport } from '../../transports/ws/index.js';
import { partitionOf } from '../../server-reference/groups/partition-of.js';
import { checkRuns, readMemberLogs, type ChaosVerdict, type EmittedEvent } from './chaos-log.js';
import { chaosEvents, emitRange, sleep, type ChaosEvent } from './chaos-emit.js';
import { epochNow, MemberProcess, type Outage } from './chaos-members.js';
import type { ChaosServer } from './chaos-servers.js';

/** A chaos run: what runs, what is emitted, what is done to it. */
export interface ChaosPlan {
  /** The servers, all on one store; member i connects to servers[i % servers.length]. */
  readonly servers: readonly ChaosServer[];
  /** Where the members' logs go. */
  readonly dir: string;
  readonly events: number;
  readonly keys: number;
  readonly members: number;
  readonly partitions: number;
  /** Events whose handler always fails (spread over the run). */
  readonly failing: number;
  readonly maxDeliveries: number;
  /** SIGKILLs of members, at random times in the chaos window, each started again soon after. */
  readonly memberKills: number;
  /** SIGKILLs of servers[0], in the middle of the chaos window, each started again on its port and store. */
  readonly serverRestarts: number;
  /** How long the kills are spread over (the second half of the events comes in bursts before them). */
  readonly chaosMs: number;
  /** The bound of the whole run, from the first member's start to every checkpoint at the head. */
  readonly timeoutMs: number;
  /** Random numbers (seeded by the caller, so that a failing run can be told again). */
  readonly random: () => number;
}

/** What a chaos run did and found. */
export interface ChaosReport extends ChaosVerdict {
  readonly parked: number;
  readonly memberKills: number;
  readonly memberRestarts: number;
  readonly serverRestarts: number;
  readonly durationMs: number;
  readonly group: GroupInfo;
}

const STREAMS = 8;
const GROUP = 'chaos';
const SELECTOR = 'chaos-*';

/** Runs the plan and reports; throws only when the run itself could not be carried out. */
export async function runChaos(plan: ChaosPlan): Promise<ChaosReport> {
  const emitted = chaosEvents(plan.events, plan.keys, (key) => `chaos-${key % STREAMS}`);
  const failing = new Set(Array.from({ length: plan.failing }, (_, j) => emitted[Math.floor(((j + 0.5) * plan.events) / plan.failing)]!.id));
  const outages: Outage[] = [];
  const members = Array.from(
    { length: plan.members },
    (_, i) =>
      new MemberProcess(
        {
          url: plan.servers[i % plan.servers.length]!.url,
          group: GROUP,
          selector: SELECTOR,
          member: `m${i}`,
          log: join(plan.dir, `m${i}.log`),
          fail: [...failing],
          options: { partitions: plan.partitions, maxDeliveries: plan.maxDeliveries, concurrency: 16 },
        },
        outages,
      ),
  );
  const client = await connect(wsTransport(plan.servers[0]!.url), { reconnect: { initialDelayMs: 50, maxDelayMs: 500 }, requestTimeoutMs: 60_000 });
  const started = performance.now();
  let memberKills = 0;
  let memberRestarts = 0;
  // What happened when, beside the members' logs, for a run that has to be understood after.
  const trace = (line: string) => appendFileSync(join(plan.dir, 'chaos.log'), `${epochNow().toFixed(3)} ${line}\n`);
  const tracing = traceGroup(client, GROUP, trace);
  try {
    // Half before any member: a backlog to share out.
    const half = Math.floor(plan.events / 2);
    await emitRange(client, emitted, 0, half);
    await Promise.all(members.map((member) => member.start()));
    // The kills at random times of the window, in order; the server's in its middle.
    const killTimes = Array.from({ length: plan.memberKills }, () => plan.random() * plan.chaosMs).sort((a, b) => a - b);
    const serverTimes = Array.from({ length: plan.serverRestarts }, (_, i) => ((i + 1) * plan.chaosMs) / (plan.serverRestarts + 1));
    const chaosStart = performance.now();
    const schedule = [...killTimes.map((at) => ({ at, what: 'member' as const })), ...serverTimes.map((at) => ({ at, what: 'server' as const }))].sort(
      (a, b) => a.at - b.at,
    );
    // The other half in bursts, one just before each kill, so that every kill lands while the
    // members are at work (a steady trickle would find them idle: they outrun it), and the rest
    // after the last.
    const burst = Math.ceil((plan.events - half) / (schedule.length + 1));
    let emittedUpTo = half;
    const emitBurst = async () => {
      const to = Math.min(plan.events, emittedUpTo + burst);
      await emitRange(client, emitted, emittedUpTo, to);
      emittedUpTo = to;
    };
    for (const step of schedule) {
      await sleep(step.at - (performance.now() - chaosStart));
      await emitBurst();
      await sleep(plan.random() * 100);
      if (step.what === 'server') {
        trace('server kill');
        await plan.servers[0]!.crashAndRestart(100 + plan.random() * 400);
        trace('server restarted');
      } else {
        const member = members[Math.floor(plan.random() * members.length)]!;
        trace(`kill ${member.config.member} ${member.pid}`);
        await member.kill();
        memberKills += 1;
        await sleep(plan.random() * 500);
        await member.start();
        trace(`restarted ${member.config.member} ${member.pid}`);
        memberRestarts += 1;
      }
    }
    while (emittedUpTo < plan.events) await emitBurst();
    const group = await untilCaughtUp(client, plan, failing, emitted, started);
    const durationMs = performance.now() - started;
    await Promise.all(members.map((member) => member.stop()));
    const unexpected = members.flatMap((member) => member.unexpectedExits);
    const logs = await readMemberLogs(
      members.map((member) => member.config.log),
      outages,
    );
    const verdict = checkRuns(logs, emitted, failing, plan.maxDeliveries, outages);
    const problems = [...unexpected, ...verdict.problems, ...parkedProblems(group, emitted, failing, plan.partitions)];
    return {
      ...verdict,
      problems,
      parked: group.parked,
      memberKills,
      memberRestarts,
      serverRestarts: plan.servers.reduce((sum, server) => sum + server.restarts, 0),
      durationMs,
      group,
    };
  } finally {
    tracing.stop();
    await Promise.all(members.map((member) => member.stop()));
    await client.close();
  }
}

/** Writes the group's owners, generations and checkpoints to the trace every 250 ms, until stopped. */
export function traceGroup(client: Client, name: string, trace: (line: string) => void): { stop(): void } {
  let stopped = false;
  void (async () => {
    while (!stopped) {
      try {
        const group = await client.group(name);
        if (group !== undefined) {
          const members = group.memberList.map((m) => m.member).join(',');
          const parts = group.partitionList.map((p) => `${p.part}:${p.owner ?? '-'}:${p.gen}${p.revoking === true ? 'r' : ''}:${p.checkpoint}`).join(' ');
          trace(`group head ${group.head} members ${members || '-'} parked ${group.parked} parts ${parts}`);
        }
      } catch (error) {
        trace(`group ${String(error)}`);
      }
      await sleep(250);
    }
  })();
  return {
    stop: () => {
      stopped = true;
    },
  };
}

/**
 * Waits until every partition's checkpoint is at the group's head and the parked events are as
 * many as the failing ones; the group as it was then (throws with the last one seen after the
 * plan's timeout).
 */
async function untilCaughtUp(
  client: Client,
  plan: ChaosPlan,
  failing: ReadonlySet<string>,
  emitted: readonly EmittedEvent[],
  started: number,
): Promise<GroupInfo> {
  let last: GroupInfo | undefined;
  let lastError: unknown;
  while (performance.now() - started < plan.timeoutMs) {
    try {
      last = await client.group(GROUP);
      if (last !== undefined && last.head > 0 && last.partitionList.every((p) => p.checkpoint === last!.head) && last.parked === failing.size) {
        return last;
      }
    } catch (error) {
      lastError = error;
    }
    await sleep(250);
  }
  const done = emitted.length;
  throw new Error(
    `the group did not catch up within ${plan.timeoutMs} ms (${done} events emitted): ${JSON.stringify(last ?? String(lastError))}`,
  );
}

/** Parked events exactly where the handler failed on purpose: per partition, as many as the failing events of its keys. */
function parkedProblems(group: GroupInfo, emitted: readonly ChaosEvent[], failing: ReadonlySet<string>, partitions: number): string[] {
  const expected = new Map<number, number>();
  for (const event of emitted) {
    if (!failing.has(event.id)) continue;
    const part = partitionOf(event, partitions);
    expected.set(part, (expected.get(part) ?? 0) + 1);
  }
  return group.partitionList
    .filter((p) => p.parked !== (expected.get(p.part) ?? 0))
    .map((p) => `partition ${p.part} has ${p.parked} parked events, the handler failed on purpose on ${expected.get(p.part) ?? 0}`);
}
