/** The longest delay setTimeout keeps: longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `expire` at the instant `at` (milliseconds since 1970), however far away, and returns
 * what cancels it. A timer, so that a session expires on time even when no frame arrives.
 */
export function atInstant(at: number, expire: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (): void => {
    const left = at - Date.now();
    if (left <= 0) {
      timer = undefined;
      expire();
      return;
    }
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    // The session's connection keeps the process alive, not this timer.
    timer.unref?.();
  };
  arm();
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
}
