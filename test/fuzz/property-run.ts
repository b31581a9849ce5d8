// Runs one fuzz property for a number of inputs or a length of time, from a seed, and says what
// it found in a form that replays: the seed, the path fast-check shrank along, the counterexample.
import fc from 'fast-check';

/** How long a target runs, and from where. */
export interface FuzzBudget {
  /** Most inputs to try. */
  readonly runs: number;
  /** Stop after this many seconds even if `runs` were not all tried. */
  readonly seconds?: number;
  /** The seed to start from (printed with every report, to replay a run). */
  readonly seed: number;
  /** Replays one failing input exactly: the `path` a report printed, with the same seed. */
  readonly path?: string;
}

/** What one target's run found. */
export interface FuzzReport {
  readonly target: string;
  /** Inputs tried (skipped ones not counted). */
  readonly runs: number;
  readonly skipped: number;
  readonly seconds: number;
  readonly seed: number;
  /** Undefined when every input held; else the shrunk counterexample and the error. */
  readonly failure?: { readonly path: string; readonly counterexample: string; readonly error: string };
}

/** Runs `property`, not throwing: the report says whether it held. */
export async function runProperty<T>(
  target: string,
  property: fc.IRawProperty<T>,
  budget: FuzzBudget,
): Promise<FuzzReport> {
  const started = Date.now();
  const details = await fc.check(property, {
    numRuns: budget.runs,
    seed: budget.seed,
    ...(budget.path === undefined ? {} : { path: budget.path, endOnFailure: true }),
    ...(budget.seconds === undefined ? {} : { interruptAfterTimeLimit: budget.seconds * 1000, markInterruptAsFailure: false }),
  });
  const seconds = (Date.now() - started) / 1000;
  const report = { target, runs: details.numRuns, skipped: details.numSkips, seconds, seed: budget.seed };
  if (!details.failed) return report;
  return {
    ...report,
    failure: {
      path: details.counterexamplePath ?? '',
      counterexample: clip(printable(details.counterexample), 4000),
      error: clip(describe(details.errorInstance), 4000),
    },
  };
}

/** One report as lines of text, ready to print; a failure says how to replay it. */
export function formatReport(report: FuzzReport): string {
  const head = `${report.target}: ${report.runs} inputs in ${report.seconds.toFixed(1)} s (seed ${report.seed}${report.skipped > 0 ? `, ${report.skipped} skipped` : ''})`;
  if (report.failure === undefined) return `${head}: no failure`;
  return [
    `${head}: FAILED`,
    `  replay: FUZZ_TARGETS=${report.target} FUZZ_SEED=${report.seed} FUZZ_PATH=${report.failure.path} npm run fuzz`,
    `  counterexample: ${report.failure.counterexample}`,
    `  error: ${report.failure.error}`,
  ].join('\n');
}

/** fast-check's rendering of a value, or what can be said of one nested too deep to render. */
function printable(value: unknown): string {
  try {
    return fc.stringify(value);
  } catch (error) {
    return `(not printable: ${describe(error)}; replay it with FUZZ_PATH)`;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}${error.cause === undefined ? '' : ` (cause: ${describe(error.cause)})`}`;
  return String(error);
}

function clip(text: string, most: number): string {
  return text.length <= most ? text : `${text.slice(0, most)}... (${text.length} characters)`;
}
