// The conformance kit's subpaths load only what they offer: the store contract nothing of the wire
// kit, the wire suite nothing of the store contract, and the framework-free runner (what
// `tauon conformance` runs) no vitest. Checked on the build (dist/, which the global setup made)
// by a Node process whose module hooks log every module it resolves.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp-dir.js';

const DIST = fileURLToPath(new URL('../../dist/test/conformance/', import.meta.url));

const HOOKS = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.RESOLVED_LOG, resolved.url + '\\n');
  return resolved;
}`;
const REGISTER = `import { register } from 'node:module'; register('./hooks.mjs', import.meta.url);`;

describe('the subpaths of tauon/conformance', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir('subpaths');
    await writeFile(join(dir.path, 'hooks.mjs'), HOOKS);
    await writeFile(join(dir.path, 'register.mjs'), REGISTER);
  });
  afterAll(() => dir.remove());

  /** Every module a fresh Node process resolves when it imports `entry` (a file of dist/test/conformance). */
  async function resolvedBy(entry: string): Promise<string[]> {
    const log = join(dir.path, `${entry}.log`);
    await writeFile(log, '');
    const script = `const loaded = await import(${JSON.stringify(pathToFileURL(join(DIST, entry)).href)}); console.log(Object.keys(loaded).length);`;
    await new Promise<void>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', pathToFileURL(join(dir.path, 'register.mjs')).href, '--input-type=module', '-e', script],
        { env: { ...process.env, RESOLVED_LOG: log }, timeout: 60_000 },
        (error, stdout, stderr) => (error === null && Number(stdout) > 0 ? resolve() : reject(new Error(`${error?.message ?? "no output"} ${stdout} ${stderr}`))),
      );
    });
    return (await readFile(log, 'utf8')).split('\n').filter((line) => line !== '');
  }

  it('the store contract loads nothing of the wire kit', async () => {
    const loaded = await resolvedBy('store.js');
    expect(loaded.some((url) => url.endsWith('/store-contract.js'))).toBe(true);
    expect(loaded.filter((url) => /\/(wire-suite|raw-peer|legacy-wire-suite)\.js$|\/conformance\/(cases|kit)\//.test(url))).toEqual([]);
  });

  it('the wire suite loads nothing of the store contract', async () => {
    const loaded = await resolvedBy('wire.js');
    expect(loaded.some((url) => url.endsWith('/wire-suite.js'))).toBe(true);
    expect(loaded.filter((url) => url.endsWith('/store-contract.js'))).toEqual([]);
  });

  it('the runner loads no vitest and nothing of the store contract', async () => {
    const loaded = await resolvedBy('runner.js');
    expect(loaded.some((url) => url.endsWith('/cases/index.js'))).toBe(true);
    expect(loaded.filter((url) => /\/node_modules\/(vitest|@vitest)\/|\/store-contract\.js$|\/wire-suite\.js$/.test(url))).toEqual([]);
  });
});
