import { spawn } from 'node:child_process';

/** A long-running command started in a process group of its own (see {@link startInGroup}). */
export interface GroupProcess {
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Waits until its output matches `pattern` and returns the match; rejects when it ends first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** Sends SIGTERM to the whole group (SIGKILL after `graceMs`) and waits until its output closed. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts a command such as `npx tauon serve` or `npm start` in a process group of its own.
 * npm and npx do not pass SIGTERM on to the command they started, so it is sent to the group:
 * the server gets it and stops cleanly, and nothing is left running.
 */
export function startInGroup(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): GroupProcess {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let closed = false;
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const ended = new Promise<void>((done) =>
    child.on('close', () => {
      closed = true;
      for (const listener of listeners) listener();
      done();
    }),
  );
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // The group is gone already.
    }
  };
  return {
    output: () => output,
    waitFor: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (match === null && !closed) return;
          listeners.delete(check);
          clearTimeout(timer);
          if (match !== null) resolve(match);
          else reject(new Error(`${command} ${args.join(' ')} ended without printing ${String(pattern)}: ${output}`));
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`${command} ${args.join(' ')} did not print ${String(pattern)} within ${timeoutMs} ms: ${output}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    stop: async (graceMs = 10_000) => {
      signal('SIGTERM');
      const killer = setTimeout(() => signal('SIGKILL'), graceMs);
      await ended;
      clearTimeout(killer);
    },
  };
}
