import { mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { tempDir } from '../support/temp-dir.js';

const placed = (id: string) => [{ stream: 'orders', events: [{ id, type: 'Placed' }], expected: 'any' as const, dedupe: false }];

/** Appends one event to a store at `path`, closes it, opens it again and returns the ids read. */
async function writeAndReopen(path: string, id: string): Promise<string[]> {
  const store = await LmdbStore.open(path);
  await store.append(placed(id));
  await store.close();
  const reopened = await LmdbStore.open(path);
  try {
    return (await reopened.readStream('orders', 1, 'forward', 10)).map((event) => event.id);
  } finally {
    await reopened.close();
  }
}

describe('lmdb store: its path is a directory', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    dir = await tempDir('lmdb-path');
  });
  afterEach(async () => {
    await dir.remove();
  });

  it('with a dot in its name, absent: created as a directory, with its parents, and reopened', async () => {
    const path = join(dir.path, 'my.data', 'events.v1');
    expect(await writeAndReopen(path, 'e1')).toEqual(['e1']);
    expect((await stat(path)).isDirectory()).toBe(true);
    expect((await readdir(path)).sort()).toEqual(['data.mdb', 'lock.mdb']);
    // Nothing beside it that lmdb-js would have made of a file name.
    expect(await readdir(join(dir.path, 'my.data'))).toEqual(['events.v1']);
  });

  it('with a dot in its name, existing and empty (as `mktemp -d` makes them): used as it is', async () => {
    const path = join(dir.path, 'tmp.Xy3kQ9');
    await mkdir(path);
    expect(await writeAndReopen(path, 'e1')).toEqual(['e1']);
    expect((await readdir(path)).sort()).toEqual(['data.mdb', 'lock.mdb']);
  });

  it('a store an earlier version wrote as a file at a dotted path is still read', async () => {
    // lmdb-js's layout for a path with an extension: the data file at the path itself.
    const directory = join(dir.path, 'written-before');
    const store = await LmdbStore.open(directory);
    await store.append(placed('old'));
    await store.close();
    const legacy = join(dir.path, 'my.data');
    await rename(join(directory, 'data.mdb'), legacy);
    expect(await writeAndReopen(legacy, 'new')).toEqual(['old', 'new']);
    expect((await stat(legacy)).isFile()).toBe(true);
  });

  it('fails at once, naming the path, where it cannot be made a directory', async () => {
    const file = join(dir.path, 'a-file');
    await writeFile(file, 'not a directory');
    await expect(LmdbStore.open(join(file, 'data'))).rejects.toMatchObject({
      code: 'internal',
      message: `cannot open the lmdb store at ${join(file, 'data')}: cannot make its directory: ${file} is not a directory`,
    });
  });
});
