// The event every throughput benchmark moves, Tauon's and the baselines' alike: about 200 bytes
// packed, as DESIGN.md's codec figures assume.

/** The data of event number `n`. */
export function benchData(n: number): { text: string; n: number } {
  return { text: TEXT, n };
}

const TEXT = 'x'.repeat(150);

/** The type of every benchmark event. */
export const BENCH_TYPE = 'Bench';

/** An event as a store keeps it and passes it on: what the baselines write, read and relay. */
export interface BenchStoredEvent<Data = unknown> {
  readonly stream: string;
  readonly seq: number;
  readonly pos: number;
  readonly tx: number;
  readonly id: string;
  readonly type: string;
  readonly data: Data;
  readonly recorded: number;
}
