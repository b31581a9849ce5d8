// The short run of the fuzz targets inside the test suite: a bounded number of inputs and
// seconds, from a fixed seed so that the suite is reproducible (FUZZ_SEED overrides it, as in
// `npm run fuzz`, the long run). A failure names the seed and the shrunk counterexample.
import { expect } from 'vitest';
import { formatReport, runProperty } from './property-run.js';
import { TARGETS, type TargetName } from './targets.js';

/** The suite's seed unless FUZZ_SEED says otherwise. */
const SUITE_SEED = 20261207;

/** Runs a target for at most `runs` inputs and `seconds`, and fails with the report if it found anything. */
export async function fuzzBriefly(target: TargetName, runs: number, seconds: number): Promise<void> {
  const seed = process.env['FUZZ_SEED'] === undefined ? SUITE_SEED : Number(process.env['FUZZ_SEED']);
  const report = await runProperty(target, TARGETS[target](), { runs, seconds, seed });
  expect(report.failure, formatReport(report)).toBeUndefined();
  // Not a vacuous pass: inputs were really tried (a slow machine may cut the count, not to nothing).
  expect(report.runs).toBeGreaterThan(Math.min(runs, 20));
}
