import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { atInstant } from '../../server-reference/auth/expiry-timer.js';

describe('atInstant', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires at the instant, not before', () => {
    const fired = vi.fn();
    atInstant(Date.now() + 1500, fired);
    vi.advanceTimersByTime(1499);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('waits for an instant further away than setTimeout can (about 24.8 days)', () => {
    const day = 24 * 3600 * 1000;
    const fired = vi.fn();
    const timeouts = vi.spyOn(globalThis, 'setTimeout');
    atInstant(Date.now() + 60 * day, fired);
    // A longer delay would fire at once (and re-arm, in a loop).
    expect(timeouts.mock.calls[0]?.[1]).toBeLessThanOrEqual(2 ** 31 - 1);
    timeouts.mockRestore();
    vi.advanceTimersByTime(59 * day);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(day);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('fires at once for an instant already past, and never once cancelled', () => {
    const past = vi.fn();
    atInstant(Date.now() - 1, past);
    expect(past).toHaveBeenCalledTimes(1);
    const cancelled = vi.fn();
    const cancel = atInstant(Date.now() + 1000, cancelled);
    cancel();
    vi.advanceTimersByTime(5000);
    expect(cancelled).not.toHaveBeenCalled();
  });
});
