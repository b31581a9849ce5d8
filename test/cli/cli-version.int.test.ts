import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { runTauon } from '../support/cli-process.js';

describe('tauon --version', () => {
  it('prints the version of the package (read from its package.json), and -V does too', async () => {
    const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const printed = await runTauon([flag]);
      expect(printed.stderr, flag).toBe('');
      expect(printed.code, flag).toBe(0);
      expect(printed.stdout, flag).toBe(`${manifest.version}\n`);
    }
  });

  it('is in the usage', async () => {
    const help = await runTauon(['--help']);
    expect(help.stdout).toContain('tauon --version');
  });
});
