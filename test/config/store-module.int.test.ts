import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigError} from '../../server-reference/config.js';
import { loadConfig, parseConfig } from '../../server-reference/config.js';
import { describeStores, openConfiguredStore } from '../../server-reference/config-open.js';
import { outsideProject, type OutsideProject } from '../stores/outside-store/outside-project.js';

// How a configuration names a store module, and every way a module can fall short, each
// refused with an error that names the module.
describe('store modules in a configuration', () => {
  let project: OutsideProject;
  beforeEach(async () => {
    project = await outsideProject('store-module');
  });
  afterEach(async () => {
    await project.remove();
  });

  async function configOf(stores: unknown, rest: object = {}): Promise<ReturnType<typeof parseConfig>> {
    const file = join(project.path, 'tauon.config.json');
    await writeFile(file, JSON.stringify({ stores, ...rest }));
    return loadConfig(file);
  }

  async function moduleFile(name: string, source: string): Promise<void> {
    await writeFile(join(project.path, name), source);
  }

  it('keeps the module as written, with the configuration’s directory; the factory gets the options and that directory', async () => {
    await moduleFile(
      'spy.mjs',
      `import { MemoryStore } from 'tauon/server';
       export let seen;
       export default async function createStore(options, context) { seen = { options, context }; globalThis.__tauonSpy = seen; return new MemoryStore(); }\n`,
    );
    const config = await configOf({ main: { kind: 'module', module: './spy.mjs', options: { file: 'x', depth: [1, 2] } } });
    expect(config.stores['main']).toEqual({ kind: 'module', module: './spy.mjs', options: { file: 'x', depth: [1, 2] }, baseDir: project.path });
    expect(describeStores(config)).toBe(`store module ./spy.mjs in ${project.path}`);
    const store = await openConfiguredStore(config);
    try {
      expect(store.kind).toBe('memory');
      expect((globalThis as { __tauonSpy?: unknown }).__tauonSpy).toEqual({
        options: { file: 'x', depth: [1, 2] },
        context: { name: 'main', baseDir: project.path },
      });
    } finally {
      await store.close();
    }
  });

  it('options left out are {}; a named createStore export is a factory too', async () => {
    await moduleFile(
      'named.mjs',
      `import { MemoryStore } from 'tauon/server';
       export async function createStore(options) { if (JSON.stringify(options) !== '{}') throw new Error('options: ' + JSON.stringify(options)); return new MemoryStore(); }\n`,
    );
    const store = await openConfiguredStore(await configOf({ main: { kind: 'module', module: './named.mjs' } }));
    await store.close();
  });

  it('finds a package by name in the node_modules above the configuration file', async () => {
    const packageDir = join(project.path, 'node_modules', 'my-json-store');
    await mkdir(packageDir);
    await writeFile(join(packageDir, 'package.json'), JSON.stringify({ name: 'my-json-store', type: 'module', exports: { '.': { default: './index.mjs' } } }));
    await writeFile(join(packageDir, 'index.mjs'), `export { default } from '../../json-lines-store.mjs';\n`);
    const config = await configOf({ main: { kind: 'module', module: 'my-json-store', options: { file: 'pkg.jsonl' } } });
    expect(describeStores(config)).toBe('store module my-json-store');
    const store = await openConfiguredStore(config);
    try {
      expect(store.kind).toBe('json-lines');
      const [outcome] = await store.append([{ stream: 's', events: [{ id: 'p1', type: 'T' }], expected: 'any', dedupe: false }]);
      expect(outcome).toMatchObject({ ok: true, seqs: [1] });
    } finally {
      await store.close();
    }
  });

  it('refuses, naming the module: a file that is not there, a package that is not installed, a module that does not load', async () => {
    await expect(openConfiguredStore(await configOf({ main: { kind: 'module', module: './missing.mjs' } }))).rejects.toThrow(
      `cannot load the store module "./missing.mjs" (file://${join(project.path, 'missing.mjs')}): `,
    );
    await expect(openConfiguredStore(await configOf({ main: { kind: 'module', module: 'no-such-store-package' } }))).rejects.toThrow(
      `cannot find the store module "no-such-store-package": no package "no-such-store-package" is installed in ${project.path} or a folder above it (a file path starts with ./ or ../)`,
    );
    await moduleFile('broken.mjs', 'export default function (\n');
    await expect(openConfiguredStore(await configOf({ main: { kind: 'module', module: './broken.mjs' } }))).rejects.toThrow(
      /^cannot load the store module "\.\/broken\.mjs" \(file:.*broken\.mjs\): .+/,
    );
  });

  it('refuses a module without a factory, a factory that throws, and one that makes no store (closing what it made)', async () => {
    await moduleFile('no-factory.mjs', 'export const store = {};\nexport default 42;\n');
    await expect(openConfiguredStore(await configOf({ main: { kind: 'module', module: './no-factory.mjs' } }))).rejects.toThrow(
      'the store module "./no-factory.mjs" exports no store factory: export a function (options, context) => Promise<EventStore> as its default export or as createStore (it exports store)',
    );
    await moduleFile('throws.mjs', 'export default async () => { throw new Error("options.url is missing"); };\n');
    await expect(openConfiguredStore(await configOf({ main: { kind: 'module', module: './throws.mjs' } }))).rejects.toThrow(
      'the store factory of the store module "./throws.mjs" failed: options.url is missing',
    );
    await moduleFile('nothing.mjs', 'export default () => undefined;\n');
    await expect(openConfiguredStore(await configOf({ main: { kind: 'module', module: './nothing.mjs' } }))).rejects.toThrow(
      'the store factory of the store module "./nothing.mjs" made something that is not an EventStore: it is undefined',
    );
    await moduleFile(
      'kindless.mjs',
      `import { MemoryStore } from 'tauon/server';
       export default () => { const store = new MemoryStore(); store.kind = ''; globalThis.__tauonKindless = store; return store; };\n`,
    );
    await expect(openConfiguredStore(await configOf({ main: { kind: 'module', module: './kindless.mjs' } }))).rejects.toThrow(
      'made something that is not an EventStore: its kind is not a non-empty string',
    );
    const made = (globalThis as { __tauonKindless?: { headPosition(): Promise<number> } }).__tauonKindless!;
    await expect(made.headPosition(), 'what the factory made was closed').rejects.toThrow();
  });

  it('with several stores, the error names the store too, and the stores already open are closed', async () => {
    await moduleFile('throws.mjs', 'export default async () => { throw new Error("no database"); };\n');
    const config = await configOf(
      { main: { kind: 'lmdb', path: 'data' }, extra: { kind: 'module', module: './throws.mjs' } },
      { routes: [{ prefix: 'x.', store: 'extra' }], default: 'main' },
    );
    await expect(openConfiguredStore(config)).rejects.toThrow(
      'store "extra": the store factory of the store module "./throws.mjs" failed: no database',
    );
  });

  it('the configuration checks the module field; the kinds listed include module', () => {
    const problems = (input: unknown) => {
      try {
        parseConfig({ stores: { main: input } }, 'test.json', project.path);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(problems({ kind: 'module' })).toEqual(['stores.main.module: Invalid input: expected string, received undefined']);
    expect(problems({ kind: 'module', module: '' })).toEqual(['stores.main.module: must name a module: a path starting with ./ or ../, or a package name']);
    expect(problems({ kind: 'module', module: './x.mjs', path: 'x' })).toEqual(['stores.main: Unrecognized key: "path"']);
    expect(problems({ kind: 'sqlite' })).toEqual(['stores.main.kind: unknown store kind "sqlite"; the kinds are "lmdb", "postgres", "jetstream", "module"']);
  });
});
