// Latencies of millions of deliveries (fan-out) counted in buckets instead of kept one by one,
// so that subscriber processes can send theirs back and the parent can merge them.

/** Buckets of 10 microseconds below this many milliseconds, of 1 ms above it. */
const FINE_LIMIT_MS = 100;
const FINE_PER_MS = 100;
const COARSE_LIMIT_MS = 60_000;
const BUCKETS = FINE_LIMIT_MS * FINE_PER_MS + (COARSE_LIMIT_MS - FINE_LIMIT_MS) + 1;

/** A latency histogram: 10 µs resolution up to 100 ms, 1 ms up to 60 s (longer counts as 60 s). */
export class LatencyHistogram {
  readonly counts: Uint32Array;
  private total = 0;

  constructor(counts?: Uint32Array) {
    this.counts = counts ?? new Uint32Array(BUCKETS);
    for (const count of this.counts) this.total += count;
  }

  get size(): number {
    return this.total;
  }

  record(ms: number): void {
    const clamped = Math.max(0, ms);
    const bucket =
      clamped < FINE_LIMIT_MS
        ? Math.floor(clamped * FINE_PER_MS)
        : FINE_LIMIT_MS * FINE_PER_MS + Math.min(COARSE_LIMIT_MS - FINE_LIMIT_MS, Math.floor(clamped - FINE_LIMIT_MS));
    this.counts[bucket]! += 1;
    this.total += 1;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
  }

  /** The q-quantile (0..1), nearest rank, as the upper edge of its bucket. */
  quantile(q: number): number {
    if (this.total === 0) throw new Error('quantile of nothing');
    const rank = Math.min(this.total, Math.max(1, Math.ceil(q * this.total)));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return upperEdge(i);
    }
    return COARSE_LIMIT_MS;
  }
}

function upperEdge(bucket: number): number {
  const fine = FINE_LIMIT_MS * FINE_PER_MS;
  return bucket < fine ? (bucket + 1) / FINE_PER_MS : FINE_LIMIT_MS + (bucket - fine) + 1;
}
