import type { KV, KvEntry } from '@nats-io/kv';
import { TauonError } from '../../../protocol/errors.js';
import type { GroupState, GroupStore, ParkedEvent, VersionedGroupState } from '../../groups/group-store.js';
import { compareNames } from '../name-order.js';
import { isWrongLastSequence } from './claims.js';
import { decodeToken, encodeToken } from './subjects.js';

/** A revision as this store hands them out: the KV entry's revision (a JetStream sequence). */
const REVISION = /^[1-9][0-9]{0,15}$/;

/** How often a delete or unpark tries again when another writer changed the key in between. */
const RACE_RETRIES = 10;

/**
 * Consumer groups' coordination state in a KV bucket of the JetStream store, `<stream>_groups`
 * (SPEC 17), shared by every server in front of the JetStream:
 * - `g.<group>`: the group's document, JSON; its revision is the KV entry's revision.
 *   A create is `kv.create` and an update `kv.update(key, value, revision)`: JetStream's own
 *   compare-and-set on the key's subject (expected last subject sequence), so of writers racing
 *   with one revision exactly one lands. Revisions are JetStream sequences of the bucket: never
 *   handed out twice, not even for a group deleted and made again.
 * - `p.<group>.<position>`: a parked event, JSON. The parked events of a group are read with one
 *   pass over its keys (a KV history of `p.<group>.>`, one entry per key), then sorted.
 *
 * `<group>` is the group's name as one token (`encodeToken`, the escape event ids and stream
 * names use): any name, dots, spaces and non-ASCII included, is one key token, so that no group's
 * keys fall under another's filter. Reads go to the bucket's leader (no direct gets), so a load
 * after a save, on any server, sees it.
 *
 * A delete removes the parked events first, then the document: a delete cut short leaves a group
 * with fewer parked events, never parked events of a group that is gone. Each removed key leaves
 * a delete marker in the bucket (KV's way); they are a few bytes each.
 */
export class JetStreamGroupStore implements GroupStore {
  constructor(
    private readonly kv: KV,
    /** Throws when the store is closed. */
    private readonly assertOpen: () => void,
  ) {}

  load(group: string): Promise<VersionedGroupState | undefined> {
    return this.run(async () => {
      const entry = live(await this.kv.get(documentKey(group)));
      return entry === undefined ? undefined : { state: entry.json<GroupState>(), revision: String(entry.revision) };
    });
  }

  save(group: string, state: GroupState, expected: string | undefined): Promise<string | undefined> {
    return this.run(async () => {
      if (expected !== undefined && !REVISION.test(expected)) return undefined;
      const value = JSON.stringify(state);
      try {
        const revision =
          expected === undefined ? await this.kv.create(documentKey(group), value) : await this.kv.update(documentKey(group), value, Number(expected));
        return String(revision);
      } catch (error) {
        // Another writer came first (kv.create of a live key fails the same way).
        if (isWrongLastSequence(error)) return undefined;
        throw error;
      }
    });
  }

  list(): Promise<string[]> {
    return this.run(async () => {
      const names: string[] = [];
      for await (const key of await this.kv.keys('g.*')) names.push(decodeToken(key.slice(2)));
      return names.sort(compareNames);
    });
  }

  delete(group: string): Promise<boolean> {
    return this.run(async () => {
      for (const event of await this.allParked(group)) await this.unparkAt(group, event.position);
      for (let attempt = 0; attempt < RACE_RETRIES; attempt++) {
        const entry = live(await this.kv.get(documentKey(group)));
        if (entry === undefined) return false;
        try {
          await this.kv.delete(documentKey(group), { previousSeq: entry.revision });
          return true;
        } catch (error) {
          if (!isWrongLastSequence(error)) throw error;
        }
      }
      throw new TauonError('internal', `jetstream store (groups): the group changed under ${RACE_RETRIES} deletes in a row`);
    });
  }

  park(group: string, event: ParkedEvent): Promise<void> {
    return this.run(async () => {
      await this.kv.put(parkedKey(group, event.position), JSON.stringify(event));
    });
  }

  parked(group: string, after: number, limit: number, part?: number): Promise<ParkedEvent[]> {
    return this.run(async () => {
      if (limit <= 0) return [];
      const events = (await this.allParked(group)).filter((event) => event.position > after && (part === undefined || event.part === part));
      return events.slice(0, limit);
    });
  }

  unpark(group: string, position: number): Promise<boolean> {
    return this.run(() => this.unparkAt(group, position));
  }

  parkedCounts(group: string): Promise<Map<number, number>> {
    return this.run(async () => {
      const counts = new Map<number, number>();
      for (const event of await this.allParked(group)) counts.set(event.part, (counts.get(event.part) ?? 0) + 1);
      return counts;
    });
  }

  /** Every parked event of the group, in position order: one pass over its keys. */
  private async allParked(group: string): Promise<ParkedEvent[]> {
    const events: ParkedEvent[] = [];
    // The bucket keeps one entry per key, so its history is each key's last entry.
    for await (const entry of await this.kv.history({ key: `${parkedPrefix(group)}.*` })) {
      if (entry.operation === 'PUT') events.push(entry.json<ParkedEvent>());
    }
    return events.sort((a, b) => a.position - b.position);
  }

  /** Removes a parked event if there is one: true when there was. */
  private async unparkAt(group: string, position: number): Promise<boolean> {
    const key = parkedKey(group, position);
    for (let attempt = 0; attempt < RACE_RETRIES; attempt++) {
      const entry = live(await this.kv.get(key));
      if (entry === undefined) return false;
      try {
        await this.kv.delete(key, { previousSeq: entry.revision });
        return true;
      } catch (error) {
        if (!isWrongLastSequence(error)) throw error;
      }
    }
    throw new TauonError('internal', `jetstream store (groups): parked event ${position} changed under ${RACE_RETRIES} unparks in a row`);
  }

  private async run<T>(operation: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await operation();
    } catch (error) {
      if (error instanceof TauonError) throw error;
      throw new TauonError('internal', `jetstream store (groups): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}

/** The entry when it holds a value (not a delete or purge marker). */
function live(entry: KvEntry | null): KvEntry | undefined {
  return entry !== null && entry.operation === 'PUT' ? entry : undefined;
}

function documentKey(group: string): string {
  return `g.${encodeToken(group)}`;
}

function parkedPrefix(group: string): string {
  return `p.${encodeToken(group)}`;
}

function parkedKey(group: string, position: number): string {
  return `${parkedPrefix(group)}.${position}`;
}

