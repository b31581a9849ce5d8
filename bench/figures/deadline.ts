// Every figure bounds its time: a server that stops answering must fail the run, not hang it.

/**
 * Resolves as `work` does, or rejects once `ms` have passed. The work is not cancelled: the
 * caller's cleanup (stopping the server, closing clients) is what ends it.
 */
export function withinDeadline<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** A promise that settles after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
