// The chaos tests are only as good as their checker: it must find what it looks for.
import { describe, expect, it } from 'vitest';
import { checkRuns, endKilledRuns, parseLog, type MemberLogs } from './chaos-log.js';
import type { Outage } from './chaos-members.js';

const emitted = [
  { id: 'e0', key: 'k0' },
  { id: 'e1', key: 'k0' },
  { id: 'e2', key: 'k1' },
];

/** Logs from lines: `S`/`E` pairs as chaos-member.ts writes them. */
function logs(...texts: string[]): MemberLogs {
  const into: MemberLogs = { runs: [], fenced: [], leases: [], assignments: [] };
  for (const text of texts) parseLog(text, into);
  return into;
}

const run = (member: string, pid: number, pos: number, id: string, key: string, start: number, end: number, outcome = 'ok', deliveries = 1) =>
  `S ${member} ${pid} ${pos} ${id} ${key} ${deliveries} 0 1 ${start}\nE ${member} ${pid} ${pos} ${id} ${key} ${deliveries} 0 1 ${end} ${outcome}\n`;

describe('the chaos checker', () => {
  it('passes runs that keep order per key and one member per key at a time, counting duplicates', () => {
    const verdict = checkRuns(
      logs(run('a', 1, 1, 'e0', 'k0', 10, 11) + run('a', 1, 3, 'e2', 'k1', 10, 12), run('b', 2, 1, 'e0', 'k0', 20, 21) + run('b', 2, 2, 'e1', 'k0', 22, 23)),
      emitted,
      new Set(),
      3,
      [],
    );
    expect(verdict.problems).toEqual([]);
    expect([verdict.processed, verdict.duplicates]).toEqual([4, 1]);
  });

  it('finds an event never processed, two members on one key at once, and a run begun before an earlier event was done', () => {
    const missing = checkRuns(logs(run('a', 1, 1, 'e0', 'k0', 10, 11) + run('a', 1, 2, 'e1', 'k0', 12, 13)), emitted, new Set(), 3, []);
    expect(missing.problems).toEqual(['e2 (key k1) never ran to ok']);
    const overlap = checkRuns(
      logs(run('a', 1, 1, 'e0', 'k0', 10, 15) + run('a', 1, 3, 'e2', 'k1', 10, 11), run('b', 2, 1, 'e0', 'k0', 12, 13) + run('b', 2, 2, 'e1', 'k0', 16, 17)),
      emitted,
      new Set(),
      3,
      [],
    );
    expect(overlap.problems).toHaveLength(1);
    expect(overlap.problems[0]).toMatch(/key k0: b \(pid 2\) began pos 1 .* while a \(pid 1\) ran pos 1/);
    const early = checkRuns(
      logs(run('a', 1, 2, 'e1', 'k0', 10, 11) + run('a', 1, 1, 'e0', 'k0', 12, 13) + run('a', 1, 3, 'e2', 'k1', 10, 11)),
      emitted,
      new Set(),
      3,
      [],
    );
    expect(early.problems).toEqual([expect.stringMatching(/began pos 2 at 10.000 before pos 1 of the key was done \(13.000\)/)]);
  });

  it('takes a run cut by a kill as ending at the kill, and a failure on purpose as done only at its last delivery', () => {
    const killed = `S a 1 1 e0 k0 1 0 1 10\n`;
    const outages: Outage[] = [{ member: 'a', pid: 1, signal: 'SIGKILL', at: 15 }];
    const logsOf = logs(killed, run('b', 2, 1, 'e0', 'k0', 14, 16) + run('b', 2, 2, 'e1', 'k0', 17, 18) + run('b', 2, 3, 'e2', 'k1', 17, 18));
    endKilledRuns(logsOf, outages);
    expect(checkRuns(logsOf, emitted, new Set(), 3, outages).problems).toEqual([expect.stringMatching(/key k0: b \(pid 2\) began pos 1 at 14.000 while a \(pid 1\) ran pos 1 until 15.000/)]);
    const failing = logs(
      run('a', 1, 1, 'e0', 'k0', 10, 11, 'fail', 1) + run('a', 1, 2, 'e1', 'k0', 12, 13) + run('a', 1, 3, 'e2', 'k1', 10, 11),
    );
    expect(checkRuns(failing, emitted, new Set(['e0']), 3, []).problems).toEqual([
      'e0 did not fail at its last delivery (3)',
      expect.stringMatching(/began pos 2 at 12.000 before pos 1 of the key was done \(never\)/),
    ]);
  });

  it('leaves out runs frozen by a pause (what fencing is for), not the runs begun after it', () => {
    const outages: Outage[] = [{ member: 'a', pid: 1, signal: 'SIGSTOP', at: 12, resumedAt: 20 }];
    const frozen = logs(run('a', 1, 1, 'e0', 'k0', 10, 21) + run('a', 1, 3, 'e2', 'k1', 22, 25), run('b', 2, 1, 'e0', 'k0', 15, 16) + run('b', 2, 2, 'e1', 'k0', 17, 18) + run('b', 2, 3, 'e2', 'k1', 23, 24));
    const verdict = checkRuns(frozen, emitted, new Set(), 3, outages);
    expect(verdict.pausedRuns).toBe(1);
    expect(verdict.problems).toEqual([expect.stringMatching(/key k1: b \(pid 2\) began pos 3 at 23.000 while a \(pid 1\) ran pos 3 until 25.000/)]);
  });
});
