import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The `tauon` command line as a user runs it: the package's bin script. */
export const TAUON_BIN = fileURLToPath(new URL('../../bin/tauon.js', import.meta.url));

/** How a `tauon` process is started, beyond its arguments. */
export interface TauonProcessOptions {
  /** Its environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Its working directory (default: this process's). */
  readonly cwd?: string;
}

/** How {@link runTauon} runs a command, beyond {@link TauonProcessOptions}. */
export interface RunTauonOptions extends TauonProcessOptions {
  /** Text written to its stdin, which is then closed (default: an empty stdin). */
  readonly input?: string;
}

/** Runs a `tauon` command to its end (bounded in time) and returns what it printed. */
export function runTauon(
  args: readonly string[],
  timeoutMs = 20_000,
  options: RunTauonOptions = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { input, ...processOptions } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TAUON_BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], ...processOptions });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tauon ${args.join(' ')} did not finish within ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // No input is an empty stdin: at its end at once, as /dev/null would be.
    child.stdin.end(input ?? '');
  });
}

/** A `tauon serve` process, with the URL it printed once it listens. */
export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly httpUrl: string;
  output(): string;
  /** Sends SIGTERM and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `tauon serve` with the given flags and waits until it prints its address. */
export function startServe(args: readonly string[], timeoutMs = 20_000, options: TauonProcessOptions = {}): Promise<ServeProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TAUON_BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let output = '';
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tauon serve did not start within ${timeoutMs} ms: ${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /serving (wss?:\/\/\S+?)\/? and (https?:\/\/\S+?)\/? /.exec(output);
      if (match !== null) {
        clearTimeout(timer);
        resolve({
          child,
          url: match[1]!,
          httpUrl: match[2]!,
          output: () => output,
          stop: (signal = 'SIGTERM') => {
            child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`tauon serve exited with ${code}: ${output}`));
    });
  });
}
