/**
 * Runs a `tauon` command with its stdout and stderr on a pseudo-terminal, through util-linux's
 * `script`: how the command line behaves for a person at a terminal (tables, progress).
 * @module
 */
import { execFileSync, spawn } from 'node:child_process';
import { TAUON_BIN } from '../support/cli-process.js';

/** Whether `script` (util-linux) is on this machine. */
export function terminalAvailable(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A word quoted for /bin/sh. */
function shellWord(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * Runs `tauon ARGS` on a terminal and returns what the terminal showed (stdout and stderr
 * together, line ends as the terminal writes them: \r\n). `redirectStdout` sends stdout to that
 * file instead, leaving only stderr on the terminal.
 */
export function runOnTerminal(args: readonly string[], redirectStdout?: string, timeoutMs = 30_000): Promise<{ code: number | null; shown: string }> {
  const command = [process.execPath, TAUON_BIN, ...args].map(shellWord).join(' ') + (redirectStdout === undefined ? '' : ` > ${shellWord(redirectStdout)}`);
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let shown = '';
    child.stdout.on('data', (chunk: Buffer) => (shown += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (shown += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tauon ${args.join(' ')} on a terminal did not finish within ${timeoutMs} ms: ${shown}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, shown });
    });
  });
}
