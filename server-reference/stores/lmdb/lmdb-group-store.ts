import type { Database } from 'lmdb';
import { TauonError } from '../../../protocol/errors.js';
import type { GroupState, GroupStore, ParkedEvent, VersionedGroupState } from '../../groups/group-store.js';
import type { TurnCommits } from './turn-commit.js';

/** What the `groups` database keeps per group (the group's name is the key). */
interface GroupRecord {
  /** The revision of this write: unique in the directory, from the `meta` counter. */
  readonly rev: number;
  /**
   * The document as JSON text: msgpackr would turn a member id `__proto__` (a valid name) into
   * something else, and JSON keeps every own key as it is.
   */
  readonly json: string;
}

/** The `meta` key of the last group revision handed out. */
const REVISION_KEY = 'group-revision';

/** The lmdb databases of a {@link LmdbGroupStore}, opened by LmdbStore.open. */
export interface LmdbGroupDatabases {
  /** group -> {rev, json} */
  readonly documents: Database<GroupRecord, string>;
  /** [group, position] -> the parked event */
  readonly parked: Database<ParkedEvent, [string, number]>;
  /** [group, part, position] -> 1: the parked events of a partition, in position order */
  readonly parkedParts: Database<number, [string, number, number]>;
  /** The store's `meta` database, which keeps the revision counter under REVISION_KEY. */
  readonly meta: Database<string, string>;
}

/**
 * Consumer groups' coordination state in the lmdb store's environment (SPEC 17). Every write
 * goes through the store's turn commits (TurnCommits): the compare-and-set reads the revision
 * inside the write transaction, so of saves with the same expected revision the first written
 * wins and the others see its revision; and the writes of one turn share one disk sync with
 * the appends of that turn. A save resolves once its commit is on disk.
 *
 * Revisions come from one counter in `meta`, so a revision is never handed out twice, not even
 * for a group deleted and made again.
 */
export class LmdbGroupStore implements GroupStore {
  /** Writes not yet committed: the store's close waits for them. */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly turns: TurnCommits,
    private readonly db: LmdbGroupDatabases,
    /** Throws when the store is closed. */
    private readonly assertOpen: () => void,
  ) {}

  load(group: string): Promise<VersionedGroupState | undefined> {
    return this.read(() => {
      const record = this.db.documents.get(group);
      return record === undefined ? undefined : versioned(record);
    });
  }

  save(group: string, state: GroupState, expected: string | undefined): Promise<string | undefined> {
    const json = JSON.stringify(state);
    return this.write(() => {
      const current = this.db.documents.get(group);
      if (expected === undefined ? current !== undefined : current === undefined || String(current.rev) !== expected) return undefined;
      const rev = Number(this.db.meta.get(REVISION_KEY) ?? '0') + 1;
      this.db.meta.putSync(REVISION_KEY, String(rev));
      this.db.documents.putSync(group, { rev, json });
      return String(rev);
    });
  }

  list(): Promise<string[]> {
    // Keys in LMDB order, which is the order of their UTF-8 bytes: name order (compareNames).
    return this.read(() => [...this.db.documents.getKeys()]);
  }

  delete(group: string): Promise<boolean> {
    return this.write(() => {
      const existed = this.db.documents.get(group) !== undefined;
      if (existed) this.db.documents.removeSync(group);
      for (const key of this.keysOf(this.db.parked, [group])) this.db.parked.removeSync(key);
      for (const key of this.keysOf(this.db.parkedParts, [group])) this.db.parkedParts.removeSync(key);
      return existed;
    });
  }

  park(group: string, event: ParkedEvent): Promise<void> {
    const copy = { ...event };
    return this.write(() => {
      const before = this.db.parked.get([group, event.position]);
      if (before !== undefined && before.part !== event.part) this.db.parkedParts.removeSync([group, before.part, event.position]);
      this.db.parked.putSync([group, event.position], copy);
      this.db.parkedParts.putSync([group, event.part, event.position], 1);
    });
  }

  parked(group: string, after: number, limit: number, part?: number): Promise<ParkedEvent[]> {
    return this.read(() => {
      const result: ParkedEvent[] = [];
      if (limit <= 0) return result;
      if (part === undefined) {
        for (const { key, value } of this.db.parked.getRange({ start: [group, after] })) {
          if (key[0] !== group) break;
          if (key[1] <= after) continue;
          result.push(value);
          if (result.length >= limit) break;
        }
        return result;
      }
      for (const key of this.db.parkedParts.getKeys({ start: [group, part, after] })) {
        if (key[0] !== group || key[1] !== part) break;
        if (key[2] <= after) continue;
        const event = this.db.parked.get([group, key[2]]);
        if (event !== undefined) result.push(event);
        if (result.length >= limit) break;
      }
      return result;
    });
  }

  unpark(group: string, position: number): Promise<boolean> {
    return this.write(() => {
      const before = this.db.parked.get([group, position]);
      if (before === undefined) return false;
      this.db.parked.removeSync([group, position]);
      this.db.parkedParts.removeSync([group, before.part, position]);
      return true;
    });
  }

  parkedCounts(group: string): Promise<Map<number, number>> {
    return this.read(() => {
      const counts = new Map<number, number>();
      for (const key of this.keysOf(this.db.parkedParts, [group])) counts.set(key[1], (counts.get(key[1]) ?? 0) + 1);
      return counts;
    });
  }

  /** The keys of `db` that start with `[group]` (keys are arrays led by the group's name). */
  private keysOf<K extends [string, ...number[]]>(db: Database<unknown, K>, start: [string]): K[] {
    const keys: K[] = [];
    for (const key of db.getKeys({ start: start as unknown as K })) {
      if (key[0] !== start[0]) break;
      keys.push(key);
    }
    return keys;
  }

  /** Settles when every write asked for so far has committed or failed. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
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

function storeError(error: unknown): TauonError {
  return error instanceof TauonError ? error : new TauonError('internal', `lmdb store (groups): ${String(error)}`, { cause: error });
}

function versioned(record: GroupRecord): VersionedGroupState {
  return { state: JSON.parse(record.json) as GroupState, revision: String(record.rev) };
}
