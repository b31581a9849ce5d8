// A baseline's peer as a process of its own: spawned per run (TypeScript, through tsx) and
// killed after it, whatever happens. The peer prints `port N` once it listens and exits when
// its stdin closes.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withinTime } from './within-time.js';

/** The repository root: where `--import tsx` resolves from. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STARTUP_LIMIT_MS = 15_000;

/**
 * Spawns the peer program `script`, waits for its port and runs `work` against it within
 * `limitMs`; then ends the peer, also after a failure or a timeout.
 */
export async function withPeerProcess<T>(
  script: string,
  label: string,
  limitMs: number,
  work: (port: number, signal: AbortSignal, pid: number) => Promise<T>,
): Promise<T> {
  const peer = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => peer.once('exit', () => resolve()));
  // Ending the stdin of a peer that already died must not crash the benchmark.
  peer.stdin.on('error', () => undefined);
  try {
    const port = await peerPort(label, peer.stdout, exited);
    return await withinTime(label, limitMs, (signal) => work(port, signal, peer.pid!));
  } finally {
    peer.stdin.end();
    // A peer that does not exit on its own within a moment (it removes its files first) is killed.
    const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2_000))]);
    if (!stopped) {
      peer.kill('SIGKILL');
      await exited;
    }
  }
}

/** The port the peer prints once it listens. */
function peerPort(label: string, output: NodeJS.ReadableStream, exited: Promise<void>): Promise<number> {
  return withinTime(`${label}: peer start`, STARTUP_LIMIT_MS, () => {
    return new Promise<number>((resolve, reject) => {
      let text = '';
      output.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const match = /^port (\d+)$/m.exec(text);
        if (match !== null) resolve(Number(match[1]));
      });
      void exited.then(() => reject(new Error(`${label}: the peer exited before it listened: ${text}`)));
    });
  });
}
