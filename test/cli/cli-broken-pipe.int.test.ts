// A reader that closes the pipe early (`tauon conformance --list | head -1`) must end the
// command quietly with the SIGPIPE status, not with a stack trace of an unhandled EPIPE.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TAUON_BIN } from '../support/cli-process.js';

/** Runs `tauon ARGS | true`: the reader is gone before tauon (a Node process, slower to start) writes. */
function intoClosedPipe(args: string): Promise<{ statuses: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // PIPESTATUS gives tauon's own exit status.
    const script = `set +e; "${process.execPath}" "${TAUON_BIN}" ${args} | true; echo "\${PIPESTATUS[0]}"`;
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tauon ${args} | true did not finish in time`));
    }, 20_000);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve({ statuses: stdout.trim(), stderr });
    });
  });
}

describe('tauon with its output cut short', () => {
  it('ends with status 141 and no stack trace when the reader goes away', async () => {
    const { statuses, stderr } = await intoClosedPipe('conformance --list');
    expect(stderr).toBe('');
    expect(statuses).toBe('141');
  });
});
