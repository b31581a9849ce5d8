import { createHash } from 'node:crypto';
import type { Database } from 'lmdb';
import { TauonError } from '../../../protocol/errors.js';
import type { ProjectionChange, ProjectionEntry, ProjectionRecord, ProjectionStore, ProjectionValue } from '../../projections/projection-store.js';
import { compareNames } from '../name-order.js';
import { changesAsText, recordAsText } from '../projection-text.js';
import { nextTurn } from '../../short-turns.js';
import type { TurnCommits } from './turn-commit.js';

/**
 * The values of one lmdb key of `projection-values`: [key, value as JSON text] pairs in code
 * point order. Nearly always one; more only for keys longer than HEAD_CODE_POINTS that share
 * their first HEAD_CODE_POINTS code points (see valueKey).
 */
type Bucket = [string, string][];

/** The lmdb databases of a {@link LmdbProjectionStore}, opened by LmdbStore.open. */
export interface LmdbProjectionDatabases {
  /** projection name -> its record as JSON text */
  readonly records: Database<string, string>;
  /** name tag + the key's first code points (binary, see valueKey) -> Bucket */
  readonly values: Database<Bucket, Buffer>;
  /** projection name -> the generation of its values (absent: 0), moved on by each reset */
  readonly generations: Database<number, string>;
  /** the tag of values a reset left behind (binary) -> 1, until they are cleared */
  readonly cleared: Database<number, Buffer>;
}

/** Bytes of a projection name's tag, the first bytes of every lmdb key of its values. */
const TAG_BYTES = 16;

/** Values a reset's clearing removes per write, so that a large state goes in many short ones. */
const CLEAR_BATCH = 1_000;

/**
 * Code points of a projection key that go into its lmdb key: 4 bytes each at most, so that
 * with the tag a key stays within LMDB's 4026 bytes (the store's 8 KiB pages) while a
 * projection key may have 1024.
 */
const HEAD_CODE_POINTS = 900;

/**
 * Server-side projections' state in the lmdb store's environment (issue 18), in two databases:
 * `projections` (name -> record, JSON text) and `projection-values` (with `projection-generations`
 * and `projection-cleared`, below). Every commit and reset goes
 * through the store's turn commits (TurnCommits), as one child transaction: the compare-and-set
 * reads the record's revision inside the write transaction, so of commits with the same
 * expected revision the first written wins and the others find its revision, and a commit that
 * throws half-way is rolled back alone. A commit resolves once it is on disk.
 *
 * A value's lmdb key is binary: a tag of the projection's name (the first 16 bytes of a SHA-256
 * of it and its generation, so that every name's values are one run of keys, whatever its length
 * or characters)
 * then the UTF-8 of the key's first 900 code points. UTF-8 byte order is code point order, and
 * cutting every key at the same number of code points keeps that order between keys cut
 * differently, so the runs of keys are in code point order; keys longer than that which share
 * their first 900 code points share one lmdb key, a bucket in code point order.
 *
 * A reset must not hold the event loop for a state of a million values, and must be atomic: it
 * removes the record and moves the projection on to a new generation of values (the tag hashes
 * the name with its generation), in one small write; the values of the old generation are
 * unreachable from then on and are removed afterwards, in short writes (`projection-cleared`
 * lists what is left to remove, so that a clearing cut short by a crash goes on at the next open).
 */
export class LmdbProjectionStore implements ProjectionStore {
  /** Writes not yet committed: the store's close waits for them. */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly turns: TurnCommits,
    private readonly db: LmdbProjectionDatabases,
    /** Throws when the store is closed. */
    private readonly assertOpen: () => void,
  ) {
    // What a reset before the last close (or crash) left to clear.
    for (const tag of this.db.cleared.getKeys()) this.clearLater(Buffer.from(tag));
  }

  record(name: string): Promise<ProjectionRecord | undefined> {
    return this.read(() => {
      const text = this.db.records.get(name);
      return text === undefined ? undefined : (JSON.parse(text) as ProjectionRecord);
    });
  }

  /** The value, or undefined when the key has none (ProjectionValue is `unknown`, which holds undefined). */
  get(name: string, key: string): Promise<ProjectionValue> {
    return this.read(() => {
      const found = this.db.values.get(valueKey(this.tagOf(name), key))?.find(([stored]) => stored === key);
      return found === undefined ? undefined : (JSON.parse(found[1]) as ProjectionValue);
    });
  }

  entries(name: string, after: string | undefined, limit: number): Promise<ProjectionEntry[]> {
    return this.read(() => {
      const result: ProjectionEntry[] = [];
      if (limit <= 0) return result;
      const tag = this.tagOf(name);
      const start = after === undefined ? tag : valueKey(tag, after);
      for (const { key, value } of this.db.values.getRange({ start, end: endOfTag(tag) })) {
        if (!hasTag(key, tag)) break;
        for (const [stored, text] of value) {
          if (after !== undefined && compareNames(stored, after) <= 0) continue;
          result.push({ key: stored, value: JSON.parse(text) as ProjectionValue });
          if (result.length >= limit) return result;
        }
      }
      return result;
    });
  }

  commit(name: string, changes: readonly ProjectionChange[], record: ProjectionRecord, expected: number | undefined): Promise<boolean> {
    // Checked and encoded before the transaction: a value too large writes nothing.
    let texts: ReturnType<typeof changesAsText>;
    let recordText: string;
    try {
      texts = changesAsText(name, changes);
      recordText = recordAsText(name, record);
    } catch (error) {
      return Promise.reject(storeError(error));
    }
    return this.write(() => {
      const stored = this.db.records.get(name);
      const revision = stored === undefined ? undefined : (JSON.parse(stored) as ProjectionRecord).revision;
      if (revision !== expected) return false;
      const tag = this.tagOf(name);
      for (const { key, text } of texts) this.change(tag, key, text);
      this.db.records.putSync(name, recordText);
      return true;
    });
  }

  async reset(name: string): Promise<void> {
    const left = await this.write(() => {
      this.db.records.removeSync(name);
      const old = this.tagOf(name);
      const generation = this.db.generations.get(name) ?? 0;
      this.db.generations.putSync(name, generation + 1);
      this.db.cleared.putSync(old, 1);
      return old;
    });
    this.clearLater(left);
  }

  list(): Promise<string[]> {
    // LMDB's order of string keys is not code point order for every name (msgpack's ordered
    // keys escape control characters): sorted here, names are few.
    return this.read(() => [...this.db.records.getKeys()].sort(compareNames));
  }

  /** Settles when every write asked for so far has committed or failed. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** The tag of the projection's values now (the write transaction's view, inside one). */
  private tagOf(name: string): Buffer {
    return tagOf(name, this.db.generations.get(name) ?? 0);
  }

  /**
   * Removes the values under `tag` (a generation a reset left behind) in short writes, in later
   * turns, then forgets the tag. Stops when the store closes: the next open goes on.
   */
  private clearLater(tag: Buffer): void {
    const clearing = (async () => {
      for (;;) {
        await nextTurn();
        const done = await this.write(() => {
          let removed = 0;
          for (const key of this.db.values.getKeys({ start: tag, end: endOfTag(tag) })) {
            if (!hasTag(key, tag) || removed >= CLEAR_BATCH) break;
            this.db.values.removeSync(key);
            removed++;
          }
          if (removed < CLEAR_BATCH) this.db.cleared.removeSync(tag);
          return removed < CLEAR_BATCH;
        });
        if (done) return;
      }
    })();
    clearing.catch(() => undefined); // closed meanwhile (or a failed write): the next open goes on
  }

  /** Inside the write transaction: sets (text) or removes (undefined) one key's value. */
  private change(tag: Buffer, key: string, text: string | undefined): void {
    const lmdbKey = valueKey(tag, key);
    const bucket = (this.db.values.get(lmdbKey) ?? []).filter(([stored]) => stored !== key);
    if (text !== undefined) {
      bucket.push([key, text]);
      if (bucket.length > 1) bucket.sort(([a], [b]) => compareNames(a, b));
    }
    if (bucket.length === 0) this.db.values.removeSync(lmdbKey);
    else this.db.values.putSync(lmdbKey, bucket);
  }

  private read<T>(read: () => T): Promise<T> {
    try {
      this.assertOpen();
      return Promise.resolve(read());
    } catch (error) {
      return Promise.reject(storeError(error));
    }
  }

  private async write<T>(write: () => T): Promise<T> {
    this.assertOpen();
    const written = this.turns.run(write);
    this.pending.add(written);
    try {
      return await written;
    } catch (error) {
      throw storeError(error);
    } finally {
      this.pending.delete(written);
    }
  }
}

/** The tag of a projection's values of one generation: the first bytes of each of their lmdb keys. */
function tagOf(name: string, generation: number): Buffer {
  return createHash('sha256').update(`${generation}\u0000`, 'utf8').update(name, 'utf8').digest().subarray(0, TAG_BYTES);
}

/** The lmdb key of a projection key's value: the tag, then the UTF-8 of its first HEAD_CODE_POINTS code points. */
function valueKey(tag: Buffer, key: string): Buffer {
  let head = key;
  // Fewer UTF-16 units than the bound: fewer code points too.
  if (key.length > HEAD_CODE_POINTS) head = Array.from(key).slice(0, HEAD_CODE_POINTS).join('');
  return Buffer.concat([tag, Buffer.from(head, 'utf8')]);
}

/** The first lmdb key after every key with this tag: the tag plus one, as a big-endian number. */
function endOfTag(tag: Buffer): Buffer | undefined {
  const end = Buffer.from(tag);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return undefined; // a tag of only 0xff bytes: no key is after it, the walk stops by hasTag
}

function hasTag(key: Buffer, tag: Buffer): boolean {
  return key.length >= TAG_BYTES && tag.equals(key.subarray(0, TAG_BYTES));
}

function storeError(error: unknown): TauonError {
  return error instanceof TauonError ? error : new TauonError('internal', `lmdb store (projections): ${String(error)}`, { cause: error });
}
