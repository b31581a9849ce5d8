// What every benchmark shares: a figure and its baseline, medians of several runs, and the
// printed and JSON forms of the results (see DESIGN.md: a figure is always printed beside a
// baseline measured in the same run, because the machines are shared and noisy).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One measured figure beside its baseline, as printed and as written to bench/results. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** What the ratio compares against, e.g. `raw ws 100 a frame`. */
  readonly baseline: string;
  readonly baselineValue: number;
  /** value / baselineValue. */
  readonly ratio: number;
}

/** A figure from a value and its baseline. */
export function figure(name: string, value: number, unit: string, baseline: string, baselineValue: number): Figure {
  return { name, value, unit, baseline, baselineValue, ratio: baselineValue === 0 ? 0 : value / baselineValue };
}

/** The median of some values (the upper one of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The q-quantile (0..1) of some values, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('quantile of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Runs `measure` `runs` times, one after the other, and returns its results in order. */
export async function resultsOf<T>(runs: number, measure: (run: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let run = 0; run < runs; run++) results.push(await measure(run));
  return results;
}

/** Runs `measure` `runs` times, one after the other, and returns the median of its results. */
export async function medianOf(runs: number, measure: (run: number) => Promise<number>): Promise<number> {
  return median(await resultsOf(runs, measure));
}

/** `NAME: VALUE UNIT (RATIO x BASELINE)`, the line `npm run bench` prints per figure. */
export function formatFigure(f: Figure): string {
  return `${f.name}: ${formatValue(f.value)} ${f.unit} (${f.ratio.toFixed(2)} x ${f.baseline})`;
}

function formatValue(value: number): string {
  return Math.abs(value) >= 100 ? String(Math.round(value)) : value.toFixed(2);
}

/** Writes the figures as JSON (`[{name, value, unit, baseline, baselineValue, ratio}]`). */
export async function writeFigures(path: string, figures: readonly Figure[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(figures, null, 2)}\n`);
}
