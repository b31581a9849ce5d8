// A zombie member (issue 17): one of three member processes is stopped (SIGSTOP) past its short
// lease while its connection stays open, the group gives its partitions to the others, then it
// is continued (SIGCONT). What it acknowledges of what it was running must be refused (`fenced`),
// unless its client learned of the loss first and sent no ack, and once awake it must start nothing of the partitions it lost: no key run by two members at
// once except the runs the pause froze mid-way (what fencing is for).
import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type Client } from '../../client/index.js';
import { wsTransport } from '../../transports/ws/index.js';
import { checkRuns, parseLog, readMemberLogs, type ChaosVerdict, type MemberLogs } from './chaos-log.js';
import { chaosEvents, emitPaced, emitRange, sleep } from './chaos-emit.js';
import { epochNow, MemberProcess, type Outage } from './chaos-members.js';
import { traceGroup } from './chaos-scenario.js';
import type { ChaosServer } from './chaos-servers.js';

const GROUP = 'zombie';
const STREAMS = 4;

export interface ZombieReport extends ChaosVerdict {
  /** Acks or nacks of the zombie refused `fenced` after it woke. */
  readonly fencedAfterWake: number;
  /** Whether its client said it lost its lease after it woke. */
  readonly leaseLostAfterWake: boolean;
  /** Runs the zombie began after it woke of a partition at a generation it held before the pause. */
  readonly staleStarts: number;
  readonly durationMs: number;
}

/** Three members (lease `leaseMs`), each handler `workMs` long; member 0 paused for `pauseMs`. */
export async function runZombie(server: ChaosServer, dir: string, events: number, leaseMs: number, pauseMs: number): Promise<ZombieReport> {
  const emitted = chaosEvents(events, 1_000, (key) => `zombie-${key % STREAMS}`);
  const outages: Outage[] = [];
  const members = [0, 1, 2].map(
    (i) =>
      new MemberProcess(
        {
          url: server.url,
          group: GROUP,
          selector: 'zombie-*',
          member: `z${i}`,
          log: join(dir, `z${i}.log`),
          workMs: 2,
          options: { partitions: 16, leaseMs },
        },
        outages,
      ),
  );
  const zombie = members[0]!;
  const client = await connect(wsTransport(server.url));
  const started = performance.now();
  const trace = (line: string) => appendFileSync(join(dir, 'chaos.log'), `${epochNow().toFixed(3)} ${line}\n`);
  const tracing = traceGroup(client, GROUP, trace);
  try {
    const half = Math.floor(events / 2);
    await emitRange(client, emitted, 0, half);
    await Promise.all(members.map((member) => member.start()));
    const emitting = emitPaced(client, emitted, half, events, 4 * pauseMs);
    // The group settled: three members, nothing being handed over; and the zombie-to-be is at
    // work on partitions of its own (its log says so, not only the group's document).
    await untilGroup(client, (parts, owners) => owners === 3 && !parts.some((p) => p.revoking === true), 30_000);
    await untilBusy(zombie.config.log, zombie.pid!, 30_000);
    trace(`pause ${zombie.pid}`);
    zombie.pause();
    await sleep(pauseMs);
    zombie.resume();
    trace(`resume ${zombie.pid}`);
    await emitting;
    await untilGroup(client, (parts, _owners, head) => parts.every((p) => p.checkpoint === head), 90_000);
    const durationMs = performance.now() - started;
    await Promise.all(members.map((member) => member.stop()));
    const logs = await readMemberLogs(
      members.map((member) => member.config.log),
      outages,
    );
    const pause = outages.find((o) => o.signal === 'SIGSTOP')!;
    const woke = pause.resumedAt!;
    const heldAtPause = logs.assignments.filter((a) => a.pid === pause.pid && a.at <= pause.at).at(-1)?.parts ?? [];
    const staleStarts = logs.runs.filter((run) => run.pid === pause.pid && run.start >= woke && heldAtPause.some((p) => p.part === run.part && p.gen === run.gen)).length;
    const fencedAfterWake = logs.fenced.filter((f) => f.pid === pause.pid && f.at >= woke).length;
    const leaseLostAfterWake = logs.leases.some((l) => l.pid === pause.pid && !l.held && l.at >= woke);
    const verdict = checkRuns(logs, emitted, new Set(), 10, outages);
    const problems = [...members.flatMap((member) => member.unexpectedExits), ...verdict.problems];
    if (staleStarts > 0) problems.push(`the zombie began ${staleStarts} runs of partitions it had lost after it woke`);
    // Either its acks reach the server and are refused, or its client learns first (the server's
    // `assigned` without them, or the lease it cannot confirm) and sends none: it acknowledges
    // nothing of what it lost, as fencing is for.
    if (fencedAfterWake === 0 && !leaseLostAfterWake) problems.push('the zombie neither had its acks refused fenced nor knew it had lost its lease after it woke');
    return { ...verdict, problems, fencedAfterWake, leaseLostAfterWake, staleStarts, durationMs };
  } finally {
    tracing.stop();
    await Promise.all(members.map((member) => member.stop()));
    await client.close();
  }
}

/** Waits until the member's log shows it holding partitions and starting handlers in the last 300 ms. */
async function untilBusy(log: string, pid: number, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  let logs: MemberLogs | undefined;
  for (;;) {
    logs = { runs: [], fenced: [], leases: [], assignments: [] };
    parseLog(await readFile(log, 'utf8'), logs);
    const held = logs.assignments.filter((a) => a.pid === pid).at(-1)?.parts ?? [];
    const lastStart = logs.runs.filter((run) => run.pid === pid).at(-1)?.start ?? 0;
    if (held.length > 0 && epochNow() - lastStart < 300) return;
    if (performance.now() > deadline) {
      throw new Error(
        `the member to pause was not at work on partitions of its own within ${ms} ms: it holds ${JSON.stringify(held)}, ` +
          `its last handler began ${(epochNow() - lastStart).toFixed(0)} ms ago, its acks were refused fenced ${logs.fenced.length} times`,
      );
    }
    await sleep(100);
  }
}

/** Polls the group (every 100 ms) until `test` holds. */
async function untilGroup(
  client: Client,
  test: (parts: { checkpoint: number; revoking?: boolean | undefined }[], owners: number, head: number) => boolean,
  ms: number,
): Promise<void> {
  const deadline = performance.now() + ms;
  for (;;) {
    const info = await client.group(GROUP);
    if (info !== undefined && test(info.partitionList, new Set(info.partitionList.map((p) => p.owner).filter((o) => o !== null)).size, info.head)) return;
    if (performance.now() > deadline) throw new Error(`group ${GROUP} not as awaited within ${ms} ms: ${JSON.stringify(info)}`);
    await sleep(100);
  }
}
