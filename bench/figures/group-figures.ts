// Consumer groups' figures (issue 17): throughput of members acknowledging every event against
// the cold replay of the same stream, the time a group takes to hand a departed member's
// partitions to the others (killed, or leaving cleanly), and what acknowledging costs a single
// durable consumer. Members are processes of their own (group-member-child.ts); the server is
// `tauon serve` on lmdb in its own process.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Client, EmitEvent } from '../../client/index.js';
import { replayThroughput } from '../tauon-throughput.js';
import { BENCH_TYPE, benchData } from '../bench-event.js';
import { median } from '../figure.js';
import { sleep, withinDeadline } from './deadline.js';
import { cpuSeconds } from './process-stats.js';
import { withClient, withReferenceServer } from './reference-server.js';

const MEMBER_PROGRAM = fileURLToPath(new URL('./group-member-child.ts', import.meta.url));
/** The children run TypeScript as this process does: through tsx's loader. */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
/** Keys the events are spread over: partitions by key, as a real workload's. */
const KEYS = 1_000;

const epochNow = (): number => performance.timeOrigin + performance.now();

/** A member process (group-member-child.ts) and what it printed. */
class MemberChild {
  readonly assignments: { at: number; parts: { part: number; gen: number }[] }[] = [];
  /** First deliveries of each partition at each generation. */
  readonly firsts: { part: number; gen: number; at: number }[] = [];
  private output = '';
  private readonly listeners = new Set<() => void>();
  private exited = false;

  private constructor(
    readonly member: string,
    private readonly child: ChildProcess,
  ) {
    let pending = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) this.take(line);
      for (const listener of this.listeners) listener();
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.on('exit', () => {
      this.exited = true;
      for (const listener of this.listeners) listener();
    });
  }

  static async start(url: string, group: string, selector: string, member: string, mode: 'consume' | 'process'): Promise<MemberChild> {
    const child = spawn(process.execPath, ['--import', TSX_LOADER, MEMBER_PROGRAM, url, group, selector, member, mode], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const member_ = new MemberChild(member, child);
    await member_.until(() => member_.output.includes('ready\n'), 30_000, 'connect');
    return member_;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The partitions it holds now, by its last `assigned`. */
  get parts(): { part: number; gen: number }[] {
    return this.assignments.at(-1)?.parts ?? [];
  }

  go(): void {
    this.child.stdin!.write('go\n');
  }

  leave(): void {
    this.child.stdin!.write('leave\n');
  }

  /** SIGKILL, and waits until it is gone. */
  async kill(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await gone;
  }

  /** Resolves once `test` holds (checked at each line it prints), or rejects after `ms`. */
  until(test: () => boolean, ms: number, what: string): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (test()) {
          done();
          resolve();
        } else if (this.exited) {
          done();
          reject(new Error(`member ${this.member} exited before it did ${what}: ${this.output}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`member ${this.member} did not ${what} within ${ms} ms: ${this.output}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  private take(line: string): void {
    this.output += `${line}\n`;
    const [kind, a, b, c] = line.split(' ');
    if (kind === 'assigned') {
      const parts = b === '-' ? [] : b!.split(',').map((p) => ({ part: Number(p.split(':')[0]), gen: Number(p.split(':')[1]) }));
      this.assignments.push({ at: Number(a), parts });
    } else if (kind === 'first') {
      this.firsts.push({ part: Number(a), gen: Number(b), at: Number(c) });
    }
  }
}

/** Emits `events` keyed events to `stream`, many in flight (a fill, not a figure). */
async function fill(client: Client, stream: string, from: number, events: number): Promise<void> {
  const FRAME = 250;
  const inFlight: Promise<unknown>[] = [];
  for (let n = from; n < from + events; n += FRAME) {
    const batch: EmitEvent[] = [];
    for (let i = n; i < Math.min(from + events, n + FRAME); i++) batch.push({ type: BENCH_TYPE, key: `k${i % KEYS}`, data: benchData(i) });
    inFlight.push(client.emit(stream, batch));
    if (inFlight.length >= 80) await inFlight.shift();
  }
  await Promise.all(inFlight);
}

/** Waits until every partition of the group is acknowledged up to the group's head `head`. */
async function untilCaughtUp(client: Client, group: string, head: number, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  for (;;) {
    const info = await client.group(group);
    if (info !== undefined && info.partitionList.every((p) => p.checkpoint >= head)) return;
    if (performance.now() > deadline) throw new Error(`group ${group} did not catch up within ${ms} ms: ${JSON.stringify(info?.partitionList)}`);
    await sleep(20);
  }
}

/** What the throughput figure measured, events a second, and the CPU time it took per event. */
export interface GroupThroughput {
  /** `members` members acknowledging every event. */
  readonly group: number;
  /** The cold replay of the same stream, one subscriber, nothing acknowledged. */
  readonly replay: number;
  /** CPU time per event of the group's run, in microseconds: the server's, and its members' together. */
  readonly groupCpu: { readonly server: number; readonly members: number };
  /** CPU time per event of the replay, in microseconds: the server's, and the subscriber's (this process). */
  readonly replayCpu: { readonly server: number; readonly subscriber: number };
}

/** CPU seconds of this process so far. */
const ownCpuSeconds = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

/**
 * `members` member processes consuming a stream of `events` keyed events from its start, each
 * event acknowledged (`consume` and one `ack()` per delivery, or `process` with an empty
 * handler), timed from the moment they are told to join to every checkpoint at the head; beside
 * the cold replay of the same stream in the same run, `runs` times each, medians.
 */
export function groupThroughput(events: number, members: number, runs: number, mode: 'consume' | 'process' = 'consume'): Promise<GroupThroughput> {
  return withReferenceServer((server) =>
    withClient(server.url, async (client) => {
      const stream = `bench-group-${randomBytes(6).toString('hex')}`;
      await fill(client, stream, 0, events);
      const serverPid = server.child.pid!;
      const perEvent = (seconds: number) => (seconds * 1e6) / events;
      const replays: number[] = [];
      const groups: number[] = [];
      const cpu = { groupServer: [] as number[], groupMembers: [] as number[], replayServer: [] as number[], replaySubscriber: [] as number[] };
      for (let run = 0; run < runs; run++) {
        const [serverBefore, ownBefore] = [await cpuSeconds(serverPid), ownCpuSeconds()];
        replays.push(await replayThroughput(client, stream, events));
        cpu.replaySubscriber.push(perEvent(ownCpuSeconds() - ownBefore));
        cpu.replayServer.push(perEvent((await cpuSeconds(serverPid)) - serverBefore));
        const group = `throughput-${run}`;
        const children = await Promise.all(Array.from({ length: members }, (_, i) => MemberChild.start(server.url, group, stream, `m${i}`, mode)));
        try {
          const membersBefore = await Promise.all(children.map((child) => cpuSeconds(child.pid)));
          const groupServerBefore = await cpuSeconds(serverPid);
          const started = performance.now();
          for (const child of children) child.go();
          await withinDeadline(600_000, 'the group throughput run', untilCaughtUp(client, group, events, 600_000));
          groups.push(events / ((performance.now() - started) / 1000));
          cpu.groupServer.push(perEvent((await cpuSeconds(serverPid)) - groupServerBefore));
          const membersAfter = await Promise.all(children.map((child) => cpuSeconds(child.pid)));
          cpu.groupMembers.push(perEvent(membersAfter.reduce((sum, after, i) => sum + after - membersBefore[i]!, 0)));
        } finally {
          await Promise.all(children.map((child) => child.kill()));
        }
      }
      return {
        group: median(groups),
        replay: median(replays),
        groupCpu: { server: median(cpu.groupServer), members: median(cpu.groupMembers) },
        replayCpu: { server: median(cpu.replayServer), subscriber: median(cpu.replaySubscriber) },
      };
    }),
  );
}

/** How long a departed member's partitions took to reach the others, per run, in ms. */
export interface RebalanceTimes {
  /** After SIGKILL (the connection closed by the kernel), with the default lease. */
  readonly killed: number[];
  /** After a clean leave (the member unsubscribes). */
  readonly left: number[];
}

/**
 * A group of `members` member processes on a stream a producer writes `rate` keyed events a
 * second to; `runs` times a member is killed (SIGKILL), and `runs` times one leaves cleanly, each
 * time measuring from the kill or the leave to the first delivery of each of its partitions to
 * another member (the time of the last of them), then a fresh member joins before the next.
 */
export function rebalanceTimes(members: number, runs: number, rate = 2_000): Promise<RebalanceTimes> {
  return withReferenceServer((server) =>
    withClient(server.url, async (client) => {
      const stream = `bench-rebalance-${randomBytes(6).toString('hex')}`;
      const group = 'rebalance';
      let stop = false;
      let sent = 0;
      const producing = (async () => {
        const began = performance.now();
        while (!stop) {
          const due = Math.floor(((performance.now() - began) / 1000) * rate);
          if (due > sent) {
            const batch: EmitEvent[] = [];
            for (let i = sent; i < due; i++) batch.push({ type: BENCH_TYPE, key: `k${i % KEYS}`, data: benchData(i) });
            sent = due;
            await client.emit(stream, batch);
          }
          await sleep(5);
        }
      })();
      let next = 0;
      const spawnMember = async () => {
        const child = await MemberChild.start(server.url, group, stream, `m${next++}`, 'consume');
        child.go();
        return child;
      };
      const children: MemberChild[] = [];
      const times: RebalanceTimes = { killed: [], left: [] };
      try {
        for (let i = 0; i < members; i++) children.push(await spawnMember());
        for (const how of ['killed', 'left'] as const) {
          for (let run = 0; run < runs; run++) {
            await settled(children);
            const victim = children.shift()!;
            const lost = victim.parts;
            const at = epochNow();
            if (how === 'killed') await victim.kill();
            else victim.leave();
            const takenOver = (p: { part: number; gen: number }) =>
              children.flatMap((c) => c.firsts.filter((f) => f.part === p.part && f.gen > p.gen && f.at >= at).map((f) => f.at));
            await pollUntil(() => lost.every((p) => takenOver(p).length > 0), 30_000, 'the partitions taken over');
            const handedOver = lost.map((p) => Math.min(...takenOver(p)));
            times[how].push(Math.max(...handedOver) - at);
            if (how === 'left') await victim.kill();
            children.push(await spawnMember());
          }
        }
      } finally {
        stop = true;
        await producing;
        await Promise.all(children.map((child) => child.kill()));
      }
      return times;
    }),
  );
}

/** Resolves once `test` holds (checked every 2 ms), or rejects after `ms`. */
async function pollUntil(test: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!test()) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(2);
  }
}

/** Waits until the members hold the partitions between them evenly and each delivered events of all of them. */
async function settled(children: readonly MemberChild[]): Promise<void> {
  const deadline = performance.now() + 30_000;
  for (;;) {
    const counts = children.map((child) => child.parts.length);
    const total = counts.reduce((a, b) => a + b, 0);
    const even = Math.max(...counts) - Math.min(...counts) <= 1 && total === 16;
    const delivering = children.every((child) => child.parts.every((p) => child.firsts.some((f) => f.part === p.part && f.gen === p.gen)));
    if (even && delivering) return;
    if (performance.now() > deadline) throw new Error(`the group did not settle: ${counts.join(', ')} partitions`);
    await sleep(50);
  }
}

/** Acknowledged durable consumption beside the unacknowledged replay, events a second. */
export interface CheckpointCost {
  /** One member (all partitions), every event acknowledged, checkpoints written. */
  readonly acked: number;
  readonly replay: number;
}

/** One durable consumer against the cold replay of the same stream of `events` events. */
export async function checkpointCost(events: number, runs: number): Promise<CheckpointCost> {
  const result = await groupThroughput(events, 1, runs);
  return { acked: result.group, replay: result.replay };
}
