// A child process's message to its parent over the IPC channel.

/** Sends `message`; settles once it is on its way (disconnecting before that would lose it). */
export function sendToParent(message: unknown): Promise<void> {
  return new Promise<void>((resolve) => process.send!(message, undefined, {}, () => resolve()));
}
