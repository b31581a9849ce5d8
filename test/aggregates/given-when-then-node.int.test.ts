import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Runs a file with `node --test` (TAP output), bounded in time; resolves with its exit code and output. */
function nodeTest(file: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

describe('Given/When/Then in node:test', () => {
  it('passes what holds and fails what does not, with the diff in the report', { timeout: 90_000 }, async () => {
    const { code, output } = await nodeTest('test/aggregates/given-when-then.node-test.ts');
    expect(output).toMatch(/^ok \d+ - passes: a deposit into an open account$/m);
    expect(output).toMatch(/^ok \d+ - passes: an overdraft is refused$/m);
    expect(output).toMatch(/^not ok \d+ - fails: the wrong amount$/m);
    expect(output).toContain('DeciderSpecificationError');
    expect(output).toContain('"amount": 50');
    expect(output).toMatch(/^# pass 2$/m);
    expect(output).toMatch(/^# fail 1$/m);
    expect(code).toBe(1);
  });
});
