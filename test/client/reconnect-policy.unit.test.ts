import { describe, expect, it } from 'vitest';
import { ReconnectPolicy, resolveReconnectOptions } from '../../client/reconnect-policy.js';

function policy(options: Parameters<typeof resolveReconnectOptions>[0], random: () => number = Math.random): ReconnectPolicy {
  return new ReconnectPolicy(resolveReconnectOptions(options), random);
}

describe('ReconnectPolicy', () => {
  it('has the documented defaults', () => {
    expect(resolveReconnectOptions(undefined)).toEqual({
      enabled: true,
      initialDelayMs: 100,
      maxDelayMs: 5000,
      jitter: 0.2,
      maxAttempts: -1,
      delay: undefined,
    });
  });

  it('doubles the wait with every failure and caps it, without jitter', () => {
    const backoff = policy({ initialDelayMs: 100, maxDelayMs: 1000, jitter: 0 });
    expect([1, 2, 3, 4, 5, 6, 50, 5000].map((n) => backoff.delayMs(n))).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  });

  it('keeps every jittered wait within ± jitter of the base', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const backoff = policy({ initialDelayMs: 100, maxDelayMs: 5000, jitter: 0.2 }, random);
    const seen = new Set<number>();
    for (let round = 0; round < 2000; round += 1) {
      const failures = 1 + (round % 10);
      const base = Math.min(5000, 100 * 2 ** (failures - 1));
      const delay = backoff.delayMs(failures);
      expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
      expect(delay).toBeLessThanOrEqual(Math.ceil(base * 1.2));
      if (failures === 1) seen.add(delay);
    }
    // The spread is really used, not just allowed.
    expect(seen.size).toBeGreaterThan(10);
  });

  it('reaches both ends of the jitter range', () => {
    expect(policy({ initialDelayMs: 1000, jitter: 0.2 }, () => 0).delayMs(1)).toBe(800);
    expect(policy({ initialDelayMs: 1000, jitter: 0.2 }, () => 0.999_999_9).delayMs(1)).toBe(1200);
  });

  it('uses a custom delay function instead, given the failures so far', () => {
    const calls: number[] = [];
    const backoff = policy({
      delay: (failures) => {
        calls.push(failures);
        return failures * 7;
      },
    });
    expect(backoff.delayMs(3)).toBe(21);
    expect(calls).toEqual([3]);
  });

  it('limits the attempts of a cycle, or not with -1', () => {
    const limited = policy({ maxAttempts: 3 });
    expect([1, 2, 3].map((attempts) => limited.mayDialAgain(attempts))).toEqual([true, true, false]);
    expect(policy({ maxAttempts: -1 }).mayDialAgain(1_000_000)).toBe(true);
  });
});
