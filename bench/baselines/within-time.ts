// Bounds a baseline's run in time. The caller owns the resources (peer process, temp dir,
// connection) and frees them in its own `finally`, which runs as soon as this rejects: a run
// stuck on an ack that never comes would otherwise never reach a `finally` inside it.

/**
 * Runs `work` and settles with it, or rejects once `ms` have passed. `work` gets a signal that
 * aborts at that moment, so that its loops can stop instead of running on in the background.
 */
export async function withinTime<T>(label: string, ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`${label} did not finish within ${ms} ms`);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  const running = work(controller.signal);
  try {
    return await Promise.race([running, timedOut]);
  } finally {
    clearTimeout(timer);
    // After a timeout `work` fails once its resources are gone; that failure is already reported.
    running.catch(() => undefined);
  }
}
