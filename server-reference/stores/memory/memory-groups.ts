import type { GroupState, GroupStore, ParkedEvent, VersionedGroupState } from '../../groups/group-store.js';
import { compareNames } from '../name-order.js';

/**
 * The memory store's consumer groups: documents and parked events in maps, copied in and out
 * (as JSON, the form every store keeps them in) so that no caller shares a value with the store.
 */
export class MemoryGroupStore implements GroupStore {
  private readonly documents = new Map<string, { json: string; revision: number }>();
  private readonly parkedByGroup = new Map<string, Map<number, string>>();
  private closed = false;

  load(group: string): Promise<VersionedGroupState | undefined> {
    return this.run(() => {
      const found = this.documents.get(group);
      return found === undefined ? undefined : { state: JSON.parse(found.json) as GroupState, revision: String(found.revision) };
    });
  }

  save(group: string, state: GroupState, expected: string | undefined): Promise<string | undefined> {
    return this.run(() => {
      const found = this.documents.get(group);
      if (found === undefined ? expected !== undefined : expected !== String(found.revision)) return undefined;
      const revision = (found?.revision ?? 0) + 1;
      this.documents.set(group, { json: JSON.stringify(state), revision });
      return String(revision);
    });
  }

  list(): Promise<string[]> {
    return this.run(() => [...this.documents.keys()].sort(compareNames));
  }

  delete(group: string): Promise<boolean> {
    return this.run(() => {
      this.parkedByGroup.delete(group);
      return this.documents.delete(group);
    });
  }

  park(group: string, event: ParkedEvent): Promise<void> {
    return this.run(() => {
      let parked = this.parkedByGroup.get(group);
      if (parked === undefined) this.parkedByGroup.set(group, (parked = new Map<number, string>()));
      parked.set(event.position, JSON.stringify(event));
    });
  }

  parked(group: string, after: number, limit: number, part?: number): Promise<ParkedEvent[]> {
    return this.run(() => {
      const all = [...(this.parkedByGroup.get(group)?.values() ?? [])].map((json) => JSON.parse(json) as ParkedEvent);
      return all
        .filter((event) => event.position > after && (part === undefined || event.part === part))
        .sort((a, b) => a.position - b.position)
        .slice(0, limit);
    });
  }

  unpark(group: string, position: number): Promise<boolean> {
    return this.run(() => this.parkedByGroup.get(group)?.delete(position) ?? false);
  }

  parkedCounts(group: string): Promise<Map<number, number>> {
    return this.run(() => {
      const counts = new Map<number, number>();
      for (const json of this.parkedByGroup.get(group)?.values() ?? []) {
        const { part } = JSON.parse(json) as ParkedEvent;
        counts.set(part, (counts.get(part) ?? 0) + 1);
      }
      return counts;
    });
  }

  close(): void {
    this.closed = true;
  }

  private run<T>(work: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the memory store is closed'));
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
