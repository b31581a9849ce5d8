/** How a server transport waits between attempts to reach the broker again. */
export interface ReconnectOptions {
  /**
   * The wait before the first attempt after losing the broker, in ms; it doubles with each
   * failed attempt.
   * @default 250
   */
  readonly initialDelayMs?: number;
  /**
   * The longest wait between attempts, in ms.
   * @default 5000
   */
  readonly maxDelayMs?: number;
}

const DEFAULT_INITIAL_DELAY_MS = 250;
const DEFAULT_MAX_DELAY_MS = 5_000;
/** Each wait is spread by up to this fraction either way, so that servers do not retry in step. */
const JITTER = 0.2;

/**
 * The wait before reconnect attempt `attempt` (0 for the first): exponential, capped at
 * `maxDelayMs`, spread by ±20% and never above the cap.
 */
export function reconnectDelay(attempt: number, options: ReconnectOptions = {}, random: () => number = Math.random): number {
  const initial = Math.max(0, options.initialDelayMs ?? DEFAULT_INITIAL_DELAY_MS);
  const max = Math.max(initial, options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS);
  // 2 ** 30 already exceeds any sensible cap; a larger exponent would only overflow.
  const base = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  const spread = base * JITTER * (random() * 2 - 1);
  return Math.round(Math.min(max, Math.max(0, base + spread)));
}
