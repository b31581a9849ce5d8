/**
 * Waits until `done` holds, polling every 5 ms, for at most `timeoutMs`: what a test waits on
 * (a delivery, a metric, a server's state) arrives in its own time, never after a fixed sleep.
 * @throws Error naming `what` when the time is up.
 */
export async function until(done: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${timeoutMs} ms)`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
