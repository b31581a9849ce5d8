import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../server-reference/config.js';
import { loadProjectionModules } from '../../server-reference/projections/projection-modules.js';
import { runTauon, startServe, type ServeProcess } from '../support/cli-process.js';
import { sendHttp } from '../support/http-request.js';
import { tempDir } from '../support/temp-dir.js';

let cleanup: (() => Promise<void>) | undefined;
let serve: ServeProcess | undefined;
afterEach(async () => {
  await serve?.stop();
  serve = undefined;
  await cleanup?.();
  cleanup = undefined;
});

/** A temporary directory with the given files; removed after the test. */
async function directoryWith(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('tauon-projection-config-');
  cleanup = dir.remove;
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(dir.path, name, '..'), { recursive: true });
    await writeFile(join(dir.path, name), text);
  }
  return dir.path;
}

const COUNT = `export default { name: 'count', stream: 'orders.*', initial: 0, evolve: (n) => n + 1 };`;
const TWO = `export default [
  { name: 'a', stream: 'x', initial: 0, evolve: (n) => n + 1 },
  { name: 'b', stream: 'y', initial: [], key: (e) => e.key, evolve: (s, e) => [...s, e.seq] },
];`;

describe('projections in the configuration file', () => {
  it('takes module paths relative to the configuration file, each exporting one definition or an array', async () => {
    const dir = await directoryWith({ 'projections/count.mjs': COUNT, 'two.mjs': TWO });
    const config = parseConfig({ stores: { main: { kind: 'lmdb', path: './data' } }, projections: ['./projections/count.mjs', './two.mjs'] }, 'test', dir);
    expect(config.projections).toEqual([
      { module: './projections/count.mjs', baseDir: dir },
      { module: './two.mjs', baseDir: dir },
    ]);
    const definitions = await loadProjectionModules(config.projections!);
    expect(definitions.map((definition) => definition.name)).toEqual(['count', 'a', 'b']);
  });

  it('says which module is wrong and why', async () => {
    const dir = await directoryWith({
      'none.mjs': 'export const x = 1;',
      'bad.mjs': `export default { name: 'bad', stream: 'a*b', initial: 0, evolve: 3 };`,
      'count.mjs': COUNT,
      'again.mjs': COUNT,
      'throws.mjs': 'throw new Error("boom at load");',
    });
    const load = (module: string, ...more: string[]) => loadProjectionModules([module, ...more].map((path) => ({ module: path, baseDir: dir })));
    await expect(load('./none.mjs')).rejects.toThrow(/projections\[0\] \(\.\/none\.mjs\): the module has no default export/);
    await expect(load('./bad.mjs')).rejects.toThrow(/projections\[0\] \(\.\/bad\.mjs\): projection "bad": stream: .*evolve: must be a function/);
    await expect(load('./count.mjs', './again.mjs')).rejects.toThrow(/projections\[1\] \(\.\/again\.mjs\): projection "count" is defined twice \(also in projections\[0\]/);
    await expect(load('./missing.mjs')).rejects.toThrow(/projections\[0\] \(\.\/missing\.mjs\): cannot load the module/);
    await expect(load('./throws.mjs')).rejects.toThrow(/boom at load/);
    await expect(load('not-an-installed-package')).rejects.toThrow(/no package "not-an-installed-package" is installed/);
    expect(() => parseConfig({ stores: { main: { kind: 'lmdb', path: './d' } }, projections: [''] }, 'test.json', dir)).toThrow(/projections\[0\]: must name a module/);
  });

  it('tauon serve runs the configuration\'s projections, and refuses a bad module at start with exit code 2', async () => {
    const dir = await directoryWith({ 'count.mjs': COUNT, 'bad.mjs': 'export default 42;' });
    const good = join(dir, 'good.json');
    await writeFile(good, JSON.stringify({ stores: { main: { kind: 'lmdb', path: './data' } }, listen: { port: 0 }, projections: ['./count.mjs'] }));
    serve = await startServe(['--config', good]);
    const appended = await sendHttp(`${serve.httpUrl}/streams/orders.1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ type: 't' }, { type: 't' }]),
    });
    expect(appended.status).toBe(201);
    const read = await sendHttp(`${serve.httpUrl}/projections/count?atLeast=2&timeoutMs=10000`);
    expect(JSON.parse(read.body)).toMatchObject({ name: 'count', value: 2 });
    await serve.stop();
    serve = undefined;

    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ stores: { main: { kind: 'lmdb', path: './data2' } }, listen: { port: 0 }, projections: ['./bad.mjs'] }));
    const refused = await runTauon(['serve', '--config', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/projections\[0\] \(\.\/bad\.mjs\): .*a projection definition is an object/);
  });
});
