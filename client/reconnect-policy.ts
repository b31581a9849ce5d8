import type { ReconnectOptions } from './types.js';

/** The reconnect options with every default filled in. */
export interface ResolvedReconnectOptions {
  readonly enabled: boolean;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly jitter: number;
  readonly maxAttempts: number;
  readonly delay: ((failures: number) => number) | undefined;
}

/** Fills in the defaults of {@link ReconnectOptions}. */
export function resolveReconnectOptions(options: ReconnectOptions | undefined): ResolvedReconnectOptions {
  return {
    enabled: options?.enabled ?? true,
    initialDelayMs: Math.max(0, options?.initialDelayMs ?? 100),
    maxDelayMs: Math.max(0, options?.maxDelayMs ?? 5000),
    jitter: Math.min(1, Math.max(0, options?.jitter ?? 0.2)),
    maxAttempts: options?.maxAttempts ?? -1,
    delay: options?.delay,
  };
}

/**
 * When to dial again: exponential backoff (`initialDelayMs * 2^(failures-1)`, capped at
 * `maxDelayMs`, spread by ± `jitter`), or the user's own `delay` function, and how many dial
 * attempts one cycle may make.
 */
export class ReconnectPolicy {
  constructor(
    readonly options: ResolvedReconnectOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** The wait in milliseconds before the next dial, after `failures` (>= 1) failed tries in a row. */
  delayMs(failures: number): number {
    const n = Math.max(1, failures);
    if (this.options.delay !== undefined) return Math.max(0, this.options.delay(n));
    const { initialDelayMs, maxDelayMs, jitter } = this.options;
    // 2^(n-1) overflows to Infinity for large n; the cap makes that harmless.
    const base = Math.min(maxDelayMs, initialDelayMs * 2 ** (n - 1));
    const spread = base * jitter * (this.random() * 2 - 1);
    return Math.max(0, Math.round(base + spread));
  }

  /** True when a cycle that has made `attempts` dials may make another. */
  mayDialAgain(attempts: number): boolean {
    return this.options.maxAttempts < 0 || attempts < this.options.maxAttempts;
  }
}
