// The drivers (lmdb, pg, the NATS client, amqplib) are loaded when a store or transport that
// needs them is opened, never by an import: checked in real Node processes on the built package
// (dist/, as installed), which record every package they load.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTauon, startServe } from '../support/cli-process.js';
import { tempDir } from '../support/temp-dir.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The packages of the stores and transports that no import may load. */
const DRIVERS = ['lmdb', 'pg', '@nats-io/transport-node', '@nats-io/jetstream', '@nats-io/kv', '@nats-io/nats-core', 'amqplib'];

/**
 * Preloaded with `--import`: writes to $TAUON_LOADED_FILE every module resolved through the ESM
 * loader (from its hooks thread, at once) and, at exit, every CommonJS module in require's cache
 * (amqplib is required, not imported).
 */
const PROBE = `
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
const file = process.env.TAUON_LOADED_FILE;
const hooks = \`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(\${JSON.stringify(file)}, resolved.url + '\\\\n');
  return resolved;
}\`;
register('data:text/javascript,' + encodeURIComponent(hooks));
process.on('exit', () => appendFileSync(file, Object.keys(createRequire(import.meta.url).cache).join('\\n') + '\\n'));
`;

describe('the drivers are loaded only when used', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let probe: string;
  let runs = 0;
  beforeAll(async () => {
    dir = await tempDir('lazy-drivers');
    probe = join(dir.path, 'probe.mjs');
    await writeFile(probe, PROBE);
  });
  afterAll(async () => {
    await dir?.remove();
  });

  /** A fresh record file and the environment that makes a process fill it. */
  function recorded(): { env: NodeJS.ProcessEnv; packages: () => Promise<string[]> } {
    const file = join(dir.path, `loaded-${++runs}.txt`);
    return {
      env: { ...process.env, NODE_OPTIONS: `--import ${probe}`, TAUON_LOADED_FILE: file },
      packages: async () => {
        const lines = (await readFile(file, 'utf8')).split('\n');
        const names = lines.map((line) => /[/\\]node_modules[/\\]((?:@[^/\\]+[/\\])?[^/\\]+)[/\\]/.exec(line)?.[1]?.replace('\\', '/'));
        return [...new Set(names.filter((name) => name !== undefined))].sort();
      },
    };
  }

  /** The drivers among the packages a Node ESM script loaded, run in the repository as a consumer would import it. */
  async function driversLoadedBy(script: string): Promise<string[]> {
    const { env, packages } = recorded();
    await run(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env, timeout: 30_000 });
    return (await packages()).filter((name) => DRIVERS.includes(name));
  }

  it.each(['tauon/server', 'tauon/client', 'tauon/protocol', 'tauon/transports', 'tauon/transports/memory', 'tauon/transports/ws', 'tauon/transports/amqp'])(
    'importing %s loads no driver',
    async (subpath) => {
      expect(await driversLoadedBy(`await import('${subpath}');`)).toEqual([]);
    },
  );

  it('opening an lmdb store loads lmdb and no other driver', async () => {
    const data = join(dir.path, 'lmdb-data');
    const script = `
      const { LmdbStore } = await import('tauon/server');
      const store = await LmdbStore.open(${JSON.stringify(data)});
      await store.close();`;
    expect(await driversLoadedBy(script)).toEqual(['lmdb']);
  });

  it('making an AMQP transport loads amqplib, and only that', async () => {
    const script = `
      const { amqpTransport } = await import('tauon/transports/amqp');
      amqpTransport('amqp://127.0.0.1');`;
    expect(await driversLoadedBy(script)).toEqual(['amqplib']);
  });

  it('the command line loads the lmdb store for serve --data, nothing for a ws:// client, amqplib for an amqp:// one', async () => {
    const version = recorded();
    expect((await runTauon(['--version'], 20_000, { env: version.env })).code).toBe(0);
    expect((await version.packages()).filter((name) => DRIVERS.includes(name))).toEqual([]);

    const served = recorded();
    const serve = await startServe(['--data', join(dir.path, 'cli-data'), '--port', '0'], 20_000, { env: served.env });
    try {
      const client = recorded();
      const emitted = await runTauon(['emit', '--url', serve.url, 'lazy', 'Checked'], 20_000, { env: client.env });
      expect(emitted.code).toBe(0);
      expect((await client.packages()).filter((name) => DRIVERS.includes(name))).toEqual([]);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
    expect((await served.packages()).filter((name) => DRIVERS.includes(name))).toEqual(['lmdb']);

    // Port 1: nothing listens; the command fails, after loading the AMQP transport's driver.
    const amqp = recorded();
    const failed = await runTauon(['emit', '--url', 'amqp://127.0.0.1:1', 'lazy', 'Checked'], 20_000, { env: amqp.env });
    expect(failed.code).toBe(1);
    expect((await amqp.packages()).filter((name) => DRIVERS.includes(name))).toEqual(['amqplib']);
  });
});
