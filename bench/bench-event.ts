// The event every throughput benchmark moves, Tauon's and the baselines' alike: about 200 bytes
// packed, as DESIGN.md's codec figures assume.

/** The data of event number `n`. */
export function benchData(n: number): { text: string; n: number } {
  return { text: TEXT, n };
}

const TEXT = 'x'.repeat(150);

/** The type of every benchmark event. */
export const BENCH_TYPE = 'Bench';
