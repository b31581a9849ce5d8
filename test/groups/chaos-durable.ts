// A durable single consumer (issue 17): one member process on one stream, killed (SIGKILL) part
// way and started again, more than once. Each new process must go on from the checkpoint the
// server kept, not from the start, and skip nothing.
import { join } from 'node:path';
import { connect, type Client, type GroupInfo } from '../../client/index.js';
import { wsTransport } from '../../transports/ws/index.js';
import { checkRuns, readMemberLogs, type ChaosVerdict } from './chaos-log.js';
import { chaosEvents, emitRange, sleep } from './chaos-emit.js';
import { MemberProcess, type Outage } from './chaos-members.js';
import type { ChaosServer } from './chaos-servers.js';

const GROUP = 'durable';
const STREAM = 'durable-orders';

/** Where one restart resumed. */
export interface Resume {
  /** The partition's checkpoint once the killed process was gone. */
  readonly checkpoint: number;
  /** The first position the next process ran. */
  readonly first: number;
}

export interface DurableReport extends ChaosVerdict {
  readonly resumes: Resume[];
  readonly durationMs: number;
}

/** Runs the durable consumer through `kills` kills over `events` events (one partition: one order). */
export async function runDurable(server: ChaosServer, dir: string, events: number, kills: number): Promise<DurableReport> {
  const emitted = chaosEvents(events, 100, () => STREAM);
  const outages: Outage[] = [];
  const member = new MemberProcess(
    { url: server.url, group: GROUP, selector: STREAM, member: 'durable', log: join(dir, 'durable.log'), options: { partitions: 1 } },
    outages,
  );
  const client = await connect(wsTransport(server.url));
  const started = performance.now();
  const resumes: { checkpoint: number; pid: number }[] = [];
  try {
    await emitRange(client, emitted, 0, events);
    await member.start();
    for (let kill = 1; kill <= kills; kill++) {
      // Killed once it is well into the stream, a little further each time.
      await until(client, (info) => info.partitionList[0]!.checkpoint >= (kill * events) / (kills + 1), 60_000);
      await member.kill();
      // The server saw the connection close: the partition is free, its checkpoint written.
      const info = await until(client, (i) => i.partitionList[0]!.owner === null, 30_000);
      await member.start();
      resumes.push({ checkpoint: info.partitionList[0]!.checkpoint, pid: member.pid! });
    }
    await until(client, (info) => info.partitionList[0]!.checkpoint === events, 60_000);
    const durationMs = performance.now() - started;
    await member.stop();
    const logs = await readMemberLogs([member.config.log], outages);
    const verdict = checkRuns(logs, emitted, new Set(), 10, outages);
    const found = resumes.map(({ checkpoint, pid }) => {
      const runs = logs.runs.filter((run) => run.pid === pid).sort((a, b) => a.start - b.start);
      return { checkpoint, first: runs[0]?.pos ?? 0 };
    });
    const problems = [
      ...member.unexpectedExits,
      ...verdict.problems,
      ...found.filter((r) => r.checkpoint === 0 || r.first !== r.checkpoint + 1).map((r) => `resumed at ${r.first} with the checkpoint at ${r.checkpoint}`),
    ];
    return { ...verdict, problems, resumes: found, durationMs };
  } finally {
    await member.stop();
    await client.close();
  }
}

/** Polls the group (every 50 ms) until `test` holds; the group then. */
async function until(client: Client, test: (info: GroupInfo) => boolean, ms: number): Promise<GroupInfo> {
  const deadline = performance.now() + ms;
  for (;;) {
    const info = await client.group(GROUP);
    if (info !== undefined && info.partitionList.length > 0 && test(info)) return info;
    if (performance.now() > deadline) throw new Error(`group ${GROUP} not as awaited within ${ms} ms: ${JSON.stringify(info)}`);
    await sleep(50);
  }
}
