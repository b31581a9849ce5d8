import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server-reference/config.js';
import { describeStores, openConfiguredStore } from '../../server-reference/config-open.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { RoutingStore } from '../../server-reference/stores/routing/routing-store.js';
import { tempDir } from '../support/temp-dir.js';

describe('configuration files and the stores they open', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    dir = await tempDir('config');
  });
  afterEach(async () => {
    await dir.remove();
  });

  async function configFile(content: unknown): Promise<string> {
    const file = join(dir.path, 'tauon.config.json');
    await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  }

  it('reads a file, resolves lmdb paths against its directory, and opens a routing store over its stores', async () => {
    const file = await configFile({
      stores: { main: { kind: 'lmdb', path: 'main' }, orders: { kind: 'lmdb', path: 'orders' } },
      routes: [{ prefix: 'orders.', store: 'orders' }],
      default: 'main',
    });
    const config = await loadConfig(file);
    expect(config.stores['orders']).toEqual({ kind: 'lmdb', path: join(dir.path, 'orders') });
    expect(describeStores(config)).toBe(
      `"orders." -> orders, the rest -> main; main: lmdb store in ${join(dir.path, 'main')}, orders: lmdb store in ${join(dir.path, 'orders')}`,
    );
    const store = await openConfiguredStore(config);
    expect(store).toBeInstanceOf(RoutingStore);
    expect(store.kinds).toEqual(['lmdb']);
    await store.append([
      { stream: 'orders.1', events: [{ id: 'o', type: 'T' }], expected: 'any', dedupe: false },
      { stream: 'users.1', events: [{ id: 'u', type: 'T' }], expected: 'any', dedupe: false },
    ]);
    // The routing error names the stores by their names in the file.
    await expect(store.readAll(1, 'forward', 10)).rejects.toThrow('("orders." -> orders (lmdb), the rest -> main (lmdb))');
    await store.close();

    for (const [name, id] of [
      ['orders', 'o'],
      ['main', 'u'],
    ] as const) {
      const reopened = await LmdbStore.open(join(dir.path, name));
      expect((await reopened.readAll(1, 'forward', 10)).map((e) => e.id), `the ${name} directory`).toEqual([id]);
      await reopened.close();
    }
  });

  it('opens the one store itself when there are no routes', async () => {
    const config = await loadConfig(await configFile({ stores: { only: { kind: 'lmdb', path: 'data' } } }));
    const store = await openConfiguredStore(config);
    expect(store).toBeInstanceOf(LmdbStore);
    expect(describeStores(config)).toBe(`lmdb store in ${join(dir.path, 'data')}`);
    await store.close();
  });

  it('names the store that cannot be opened', async () => {
    const blocker = join(dir.path, 'a-file');
    await writeFile(blocker, 'not a directory');
    const config = await loadConfig(
      await configFile({
        stores: { main: { kind: 'lmdb', path: 'main' }, broken: { kind: 'lmdb', path: 'a-file/below' } },
        routes: [{ prefix: 'b.', store: 'broken' }],
        default: 'main',
      }),
    );
    await expect(openConfiguredStore(config)).rejects.toThrow(`store "broken": cannot open the lmdb store at ${join(blocker, 'below')}: `);
    const alone = await loadConfig(await configFile({ stores: { only: { kind: 'lmdb', path: 'a-file/below' } } }));
    await expect(openConfiguredStore(alone), 'one store: its own error').rejects.toThrow(
      new RegExp(`^cannot open the lmdb store at ${join(blocker, 'below')}: `),
    );
  });

  it('refuses a file that is missing or not JSON, naming the file', async () => {
    const missing = join(dir.path, 'nope.json');
    await expect(loadConfig(missing)).rejects.toThrow(`${missing}: cannot read the configuration: no such file`);
    const file = await configFile('{ "stores": ');
    const error = await loadConfig(file).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(new RegExp(`^${file}: not valid JSON: `));
  });
});
