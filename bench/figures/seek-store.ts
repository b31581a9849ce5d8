// The lmdb directories the seek figure replays from, filled with the store class itself (the
// on-disk format `tauon serve` reads) rather than through the server, which would take minutes
// for ten million events. The big one is kept under bench/.data/ and reused while the store's
// code and the fill are unchanged.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BENCH_TYPE } from '../bench-event.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';

/** The stream every seek directory holds. */
export const SEEK_STREAM = 'seek';

const CACHE_ROOT = fileURLToPath(new URL('../.data/', import.meta.url));
const EVENTS_PER_APPEND = 20_000;
const APPENDS_IN_FLIGHT = 4;

/**
 * Fills `dir` (empty or new) with `count` small events on {@link SEEK_STREAM}, appended in big
 * batches without waiting for each flush; closing the store writes everything out.
 */
export async function fillSeekStore(dir: string, count: number): Promise<void> {
  // A directory, as `tauon serve --data` opens it (lmdb takes a path with an extension for a file).
  await mkdir(dir, { recursive: true });
  const store = await LmdbStore.open(dir, { sync: false });
  try {
    const inFlight: Promise<unknown>[] = [];
    for (let first = 0; first < count; first += EVENTS_PER_APPEND) {
      const events = [];
      for (let n = first; n < Math.min(count, first + EVENTS_PER_APPEND); n++) {
        // Ids in ascending order keep the id index's inserts at its end, where they are cheap.
        events.push({ id: `seek-${String(n).padStart(10, '0')}`, type: BENCH_TYPE, data: { n } });
      }
      inFlight.push(store.append([{ stream: SEEK_STREAM, events, expected: 'any', dedupe: false }]));
      if (inFlight.length >= APPENDS_IN_FLIGHT) await inFlight.shift();
    }
    await Promise.all(inFlight);
  } finally {
    await store.close();
  }
}

/** The number of events on {@link SEEK_STREAM} in the store at `dir` (0 when there is none). */
async function storedCount(dir: string): Promise<number> {
  const store = await LmdbStore.open(dir);
  try {
    return (await store.streamInfo(SEEK_STREAM))?.count ?? 0;
  } finally {
    await store.close();
  }
}

/**
 * The directory of a store with `count` events on {@link SEEK_STREAM}, from bench/.data/ when a
 * fill with the same store code is there, filled (and kept) otherwise. Caches of other store
 * code are removed: they could not be read the same way. `log` hears how long a fill took.
 */
export async function cachedSeekStore(count: number, log: (line: string) => void): Promise<string> {
  const name = `seek-${count}-${fillKey()}`;
  const dir = join(CACHE_ROOT, name);
  await mkdir(CACHE_ROOT, { recursive: true });
  for (const entry of await readdir(CACHE_ROOT)) {
    if (entry.startsWith(`seek-${count}-`) && entry !== name) await rm(join(CACHE_ROOT, entry), { recursive: true, force: true });
  }
  if ((await readdir(CACHE_ROOT)).includes(name)) {
    if ((await storedCount(dir)) === count) return dir;
    await rm(dir, { recursive: true, force: true }); // an unreadable or partial cache: fill again
  }
  // Filled aside and renamed when complete, so that an interrupted fill is never taken for a
  // cache. No dot in the name: lmdb would take it for a file name with an extension.
  const partial = `${dir}-partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  const started = performance.now();
  try {
    await fillSeekStore(partial, count);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  }
  log(`filled ${count} events into ${dir} in ${((performance.now() - started) / 1000).toFixed(1)} s (kept for the next runs)`);
  await rename(partial, dir);
  return dir;
}

/**
 * What the cached bytes depend on: the store's code, the code that fills it, and the versions
 * of lmdb and msgpackr that write them.
 */
function fillKey(): string {
  const hash = createHash('sha256');
  for (const source of ['../../server-reference/stores/lmdb/lmdb-store.ts', '../../server-reference/stores/append-planner.ts', './seek-store.ts']) {
    hash.update(readFileSync(new URL(source, import.meta.url)));
  }
  for (const pkg of ['lmdb', 'msgpackr']) {
    const manifest = new URL(`../../node_modules/${pkg}/package.json`, import.meta.url);
    hash.update((JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version);
  }
  return hash.digest('hex').slice(0, 12);
}
