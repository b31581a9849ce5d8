// `npm run fuzz`: the long run of the fuzz targets (test/fuzz/*.test.ts are the short one).
// Knobs, all environment variables (docs/testing.md):
//   FUZZ_SECONDS  seconds per target (default 45)
//   FUZZ_RUNS     most inputs per target (default: as many as the time allows)
//   FUZZ_SEED     the seed (default: a new one, printed)
//   FUZZ_TARGETS  a comma-separated list of targets (default: all)
//   FUZZ_PATH     with FUZZ_SEED and one target: replays the failing input a report printed
//   FUZZ_KNOWN    1, or a list of the classes of known-issues.ts to let in (expected to fail until fixed)
// It prints, per target, how many inputs ran and what failed, and exits 1 if anything did.
import { settledHeap } from '../support/heap.js';
import { KNOWN_ISSUES } from './known-issues.js';
import { formatReport, runProperty, type FuzzReport } from './property-run.js';
import { isTargetName, TARGETS, type TargetName } from './targets.js';

/** Growth of the settled heap over the session target past which the server's memory is not bounded. */
const MOST_HEAP_GROWTH = 64 * 1024 * 1024;

function numberFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
}

function targetsFrom(raw: string | undefined): TargetName[] {
  if (raw === undefined || raw === '') return Object.keys(TARGETS) as TargetName[];
  const names = raw.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !isTargetName(name));
  if (unknown.length > 0) throw new Error(`unknown fuzz targets: ${unknown.join(', ')} (known: ${Object.keys(TARGETS).join(', ')})`);
  return names as TargetName[];
}

const seconds = numberFrom('FUZZ_SECONDS', 45);
const runs = numberFrom('FUZZ_RUNS', 1_000_000_000);
const seed = numberFrom('FUZZ_SEED', Date.now() % 2 ** 31);
const targets = targetsFrom(process.env['FUZZ_TARGETS']);
const path = process.env['FUZZ_PATH'];
if (path !== undefined && targets.length !== 1) throw new Error('FUZZ_PATH replays one target: set FUZZ_TARGETS to it');

const excluded = Object.entries(KNOWN_ISSUES).filter(([, off]) => off).map(([name]) => name);
console.log(`fuzzing ${targets.join(', ')} for ${seconds} s each (at most ${runs} inputs), seed ${seed}`);
console.log(excluded.length === 0 ? 'known-issue classes: included (FUZZ_KNOWN=1)' : `known-issue classes left out: ${excluded.join(', ')} (FUZZ_KNOWN=1 lets them in)`);

// Anything thrown outside a property is a finding too: counted and printed, never fatal to the run.
const unhandled: unknown[] = [];
process.on('uncaughtException', (error) => unhandled.push(error));
process.on('unhandledRejection', (error) => unhandled.push(error));

const reports: FuzzReport[] = [];
try {
  await runTargets();
} catch (error) {
  // A fault of the fuzzer itself, not a finding: say so and fail (the handlers above would swallow it).
  console.error('the fuzz run itself failed:', error);
  process.exit(2);
}

async function runTargets(): Promise<void> {
  for (const target of targets) {
    const before = target === 'session' ? await settledHeap() : 0;
    const report = await runProperty(target, TARGETS[target](), { runs, seconds, seed, ...(path === undefined ? {} : { path }) });
    console.log(formatReport(report));
    reports.push(report);
    if (target === 'session') {
      const growth = (await settledHeap()) - before;
      console.log(`  settled heap growth over the session target: ${(growth / 1024 / 1024).toFixed(1)} MB (bound ${MOST_HEAP_GROWTH / 1024 / 1024} MB)`);
      if (growth > MOST_HEAP_GROWTH) reports.push({ target: 'session-memory', runs: report.runs, skipped: 0, seconds: 0, seed, failure: { path: '', counterexample: '', error: `heap grew ${growth} bytes` } });
    }
  }
}

const total = reports.filter((report) => report.target !== 'session-memory').reduce((sum, report) => sum + report.runs, 0);
const failed = reports.filter((report) => report.failure !== undefined);
console.log(`${total} inputs in all; ${failed.length} failing target${failed.length === 1 ? '' : 's'}; ${unhandled.length} unhandled errors`);
for (const error of unhandled.slice(0, 5)) console.log('  unhandled:', error);
process.exitCode = failed.length > 0 || unhandled.length > 0 ? 1 : 0;
