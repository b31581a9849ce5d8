// Reading the members' logs of a chaos run (chaos-member.ts writes them) and checking what a
// consumer group promises: every event processed at least once, never two members on one key
// at once, and each key's events started only after every earlier one of the key was done.
import { readFile } from 'node:fs/promises';
import type { Outage } from './chaos-members.js';

/** One run of the handler, from its start line to its end line (or to its process's death). */
export interface HandlerRun {
  readonly member: string;
  readonly pid: number;
  readonly pos: number;
  readonly id: string;
  readonly key: string;
  readonly deliveries: number;
  readonly part: number;
  readonly gen: number;
  readonly start: number;
  /** When it ended; for a run its process died in, when the process was killed (Infinity if never). */
  end: number;
  /** ok / fail from its end line; `killed` when its process died during it. */
  outcome: 'ok' | 'fail' | 'killed';
}

/** What the logs say besides the handler runs. */
export interface MemberLogs {
  readonly runs: HandlerRun[];
  /** `F` lines: an ack or nack refused `fenced`. */
  readonly fenced: { member: string; pid: number; part: number; gen: number; at: number }[];
  /** `L` lines: the client's knowledge of its lease. */
  readonly leases: { member: string; pid: number; held: boolean; at: number }[];
  /** `A` lines: the partitions (and generations) a member held from then on. */
  readonly assignments: { member: string; pid: number; at: number; parts: { part: number; gen: number }[] }[];
}

/** Reads the logs of every member and ties each start line to its end line. */
export async function readMemberLogs(paths: readonly string[], outages: readonly Outage[]): Promise<MemberLogs> {
  const logs: MemberLogs = { runs: [], fenced: [], leases: [], assignments: [] };
  for (const path of paths) parseLog(await readFile(path, 'utf8'), logs);
  endKilledRuns(logs, outages);
  return logs;
}

/** Ends each run cut short by a kill at the kill (Infinity when its process was never killed). */
export function endKilledRuns(logs: MemberLogs, outages: readonly Outage[]): void {
  const deaths = new Map(outages.filter((o) => o.signal === 'SIGKILL').map((o) => [o.pid, o.at]));
  for (const run of logs.runs) {
    if (run.outcome === 'killed') run.end = deaths.get(run.pid) ?? Number.POSITIVE_INFINITY;
  }
}

/** Parses one member's log into `into`. */
export function parseLog(text: string, into: MemberLogs): void {
  /** Started runs without their end line yet, by pid and position. */
  const open = new Map<string, HandlerRun>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const f = line.split(' ');
    switch (f[0]) {
      case 'S': {
        const run: HandlerRun = {
          member: f[1]!,
          pid: Number(f[2]),
          pos: Number(f[3]),
          id: f[4]!,
          key: f[5]!,
          deliveries: Number(f[6]),
          part: Number(f[7]),
          gen: Number(f[8]),
          start: Number(f[9]),
          end: Number.POSITIVE_INFINITY,
          outcome: 'killed',
        };
        into.runs.push(run);
        open.set(`${run.pid} ${run.pos}`, run);
        break;
      }
      case 'E': {
        const slot = `${f[2]} ${f[3]}`;
        const run = open.get(slot);
        if (run === undefined) throw new Error(`an end line without its start: ${line}`);
        open.delete(slot);
        run.end = Number(f[9]);
        run.outcome = f[10] === 'ok' ? 'ok' : 'fail';
        break;
      }
      case 'F':
        into.fenced.push({ member: f[1]!, pid: Number(f[2]), part: Number(f[3]), gen: Number(f[4]), at: Number(f[5]) });
        break;
      case 'L':
        into.leases.push({ member: f[1]!, pid: Number(f[2]), held: f[3] === '1', at: Number(f[4]) });
        break;
      case 'A':
        into.assignments.push({
          member: f[1]!,
          pid: Number(f[2]),
          at: Number(f[3]),
          parts: f[4] === '-' ? [] : f[4]!.split(',').map((p) => ({ part: Number(p.split(':')[0]), gen: Number(p.split(':')[1]!.replace('r', '')) })),
        });
        break;
      case 'C':
        break;
      default:
        // A line cut short by SIGKILL is impossible (one write per line), so anything else is a bug.
        throw new Error(`an unknown log line: ${line}`);
    }
  }
}

/** One event as emitted, to check the logs against. */
export interface EmittedEvent {
  readonly id: string;
  readonly key: string;
}

/** What the check found: counts to print, and every broken promise (empty when none). */
export interface ChaosVerdict {
  readonly events: number;
  /** Handler runs that ended ok. */
  readonly processed: number;
  /** Runs that ended ok beyond the first of their event: at-least-once at work. */
  readonly duplicates: number;
  /** Runs that ended with a failure on purpose. */
  readonly failedRuns: number;
  /** Runs cut short by a kill. */
  readonly killedRuns: number;
  /** Runs in a member paused past its lease (SIGSTOP): they ran on while the partition moved (what fencing is for). */
  readonly pausedRuns: number;
  readonly problems: string[];
}

/**
 * Checks the runs against the emitted events:
 * - every event ran to ok at least once, except the `failing` ones, which never did (and ran
 *   to a failure at their last delivery, `maxDeliveries`: they are parked);
 * - no two processes ran events of one key at overlapping times (except runs of a process that
 *   was paused past its lease, begun before it was continued: counted apart);
 * - a run of an event began only after every earlier event of its key (by position) had run to
 *   ok, or to its failure at its last delivery, somewhere.
 */
export function checkRuns(
  logs: MemberLogs,
  emitted: readonly EmittedEvent[],
  failing: ReadonlySet<string>,
  maxDeliveries: number,
  outages: readonly Outage[],
): ChaosVerdict {
  const problems: string[] = [];
  const say = (problem: string) => {
    if (problems.length < 20) problems.push(problem);
  };
  const pauses = outages.filter((o) => o.signal === 'SIGSTOP');
  // A run of a paused process that began before it was continued and ended after it was
  // stopped (the signal lands a moment after it is sent: a run may begin in between).
  const paused = (run: HandlerRun) => pauses.some((p) => p.pid === run.pid && run.start < (p.resumedAt ?? Number.POSITIVE_INFINITY) && run.end >= p.at);
  const okById = new Map<string, number>();
  let failedRuns = 0;
  let killedRuns = 0;
  let pausedRuns = 0;
  const byKey = new Map<string, HandlerRun[]>();
  for (const run of logs.runs) {
    if (run.outcome === 'ok') okById.set(run.id, (okById.get(run.id) ?? 0) + 1);
    else if (run.outcome === 'fail') failedRuns += 1;
    else killedRuns += 1;
    if (paused(run)) pausedRuns += 1;
    let runs = byKey.get(run.key);
    if (runs === undefined) byKey.set(run.key, (runs = []));
    runs.push(run);
  }
  for (const event of emitted) {
    const ok = okById.get(event.id) ?? 0;
    if (failing.has(event.id)) {
      if (ok > 0) say(`${event.id} was meant to fail but ran to ok`);
    } else if (ok === 0) {
      say(`${event.id} (key ${event.key}) never ran to ok`);
    }
  }
  for (const id of failing) {
    if (!logs.runs.some((run) => run.id === id && run.outcome === 'fail' && run.deliveries >= maxDeliveries)) {
      say(`${id} did not fail at its last delivery (${maxDeliveries})`);
    }
  }
  for (const [key, runs] of byKey) {
    runs.sort((a, b) => a.start - b.start);
    checkExclusive(key, runs, paused, say);
    checkOrder(key, runs, maxDeliveries, say);
  }
  const processed = [...okById.values()].reduce((sum, n) => sum + n, 0);
  return { events: emitted.length, processed, duplicates: processed - okById.size, failedRuns, killedRuns, pausedRuns, problems };
}

/** No two processes on one key at once (runs sorted by start). */
function checkExclusive(key: string, runs: readonly HandlerRun[], paused: (run: HandlerRun) => boolean, say: (problem: string) => void): void {
  for (let i = 0; i < runs.length; i++) {
    const later = runs[i]!;
    for (let j = 0; j < i; j++) {
      const earlier = runs[j]!;
      if (earlier.pid === later.pid || earlier.end <= later.start) continue;
      if (paused(earlier) || paused(later)) continue;
      say(
        `key ${key}: ${later.member} (pid ${later.pid}) began pos ${later.pos} at ${later.start.toFixed(3)} while ${earlier.member} (pid ${earlier.pid}) ran pos ${earlier.pos} until ${earlier.end.toFixed(3)}`,
      );
    }
  }
}

/** Each run of a key began after every earlier event of the key was done (runs sorted by start). */
function checkOrder(key: string, runs: readonly HandlerRun[], maxDeliveries: number, say: (problem: string) => void): void {
  /** When each position of the key was first done: ran to ok, or failed at its last delivery. */
  const doneAt = new Map<number, number>();
  for (const run of runs) {
    if (run.outcome === 'ok' || (run.outcome === 'fail' && run.deliveries >= maxDeliveries)) {
      doneAt.set(run.pos, Math.min(doneAt.get(run.pos) ?? Number.POSITIVE_INFINITY, run.end));
    }
  }
  // The latest of the first-done times of every position below each one: a run of a position
  // must begin after it.
  const positions = [...new Set(runs.map((run) => run.pos))].sort((a, b) => a - b);
  const allEarlierDone = new Map<number, { at: number; pos: number }>();
  let latest = { at: Number.NEGATIVE_INFINITY, pos: 0 };
  for (const pos of positions) {
    allEarlierDone.set(pos, latest);
    const done = doneAt.get(pos) ?? Number.POSITIVE_INFINITY;
    if (done > latest.at) latest = { at: done, pos };
  }
  for (const run of runs) {
    const earlier = allEarlierDone.get(run.pos)!;
    if (earlier.at > run.start) {
      const when = earlier.at === Number.POSITIVE_INFINITY ? 'never' : earlier.at.toFixed(3);
      say(`key ${key}: ${run.member} (pid ${run.pid}) began pos ${run.pos} at ${run.start.toFixed(3)} before pos ${earlier.pos} of the key was done (${when})`);
    }
  }
}
