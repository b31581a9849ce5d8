// A send time that another process can compare with its own receive time.

/**
 * Milliseconds since the epoch at sub-millisecond resolution. performance.now() alone has a
 * per-process origin; adding timeOrigin makes times of two processes on one machine comparable
 * (to within how well their origins agree, microseconds on Linux), and within one process it is
 * as steady as performance.now().
 */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
