/** How the announcer and the directory reconnect after losing the broker. */
export interface DiscoveryReconnectOptions {
  /**
   * The wait before the first reconnect attempt, in ms; it doubles with each failed attempt
   * (with ±20% jitter, so that servers that lost the same broker do not return in step).
   * @default 100
   */
  readonly initialDelayMs?: number;
  /**
   * The longest wait between two attempts, in ms.
   * @default 5000
   */
  readonly maxDelayMs?: number;
}
