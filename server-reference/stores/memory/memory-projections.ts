import { TauonError } from '../../../protocol/errors.js';
import type { ProjectionChange, ProjectionEntry, ProjectionRecord, ProjectionStore, ProjectionValue } from '../../projections/projection-store.js';
import { compareNames } from '../name-order.js';
import { changesAsText, recordAsText } from '../projection-text.js';

/** One projection as the memory store keeps it: the record and each key's value, as JSON text. */
interface KeptProjection {
  record: string;
  revision: number;
  readonly values: Map<string, string>;
}

/**
 * The memory store's projections: records and values in maps, copied in and out as JSON (the
 * form every store may keep them in), so that no caller shares a value with the store. A commit
 * is applied synchronously, so it is atomic by construction.
 */
export class MemoryProjectionStore implements ProjectionStore {
  private readonly kept = new Map<string, KeptProjection>();
  private closed = false;

  record(name: string): Promise<ProjectionRecord | undefined> {
    return this.run(() => {
      const found = this.kept.get(name);
      return found === undefined ? undefined : (JSON.parse(found.record) as ProjectionRecord);
    });
  }

  get(name: string, key: string): Promise<ProjectionValue> {
    return this.run(() => {
      const json = this.kept.get(name)?.values.get(key);
      return json === undefined ? undefined : (JSON.parse(json) as ProjectionValue);
    });
  }

  entries(name: string, after: string | undefined, limit: number): Promise<ProjectionEntry[]> {
    return this.run(() => {
      const values = this.kept.get(name)?.values;
      if (values === undefined || limit <= 0) return [];
      const keys = [...values.keys()].filter((key) => after === undefined || compareNames(key, after) > 0).sort(compareNames);
      return keys.slice(0, limit).map((key) => ({ key, value: JSON.parse(values.get(key)!) as ProjectionValue }));
    });
  }

  commit(name: string, changes: readonly ProjectionChange[], record: ProjectionRecord, expected: number | undefined): Promise<boolean> {
    return this.run(() => {
      const found = this.kept.get(name);
      if (found === undefined ? expected !== undefined : found.revision !== expected) return false;
      // Everything is turned to text and checked before anything is written: a change out of
      // bounds fails the commit whole (`too-large`), as in every store.
      const texts = changesAsText(name, changes);
      const recordText = recordAsText(name, record);
      const kept = found ?? { record: recordText, revision: record.revision, values: new Map<string, string>() };
      for (const { key, text } of texts) {
        if (text === undefined) kept.values.delete(key);
        else kept.values.set(key, text);
      }
      kept.record = recordText;
      kept.revision = record.revision;
      this.kept.set(name, kept);
      return true;
    });
  }

  reset(name: string): Promise<void> {
    return this.run(() => {
      this.kept.delete(name);
    });
  }

  list(): Promise<string[]> {
    return this.run(() => [...this.kept.keys()].sort(compareNames));
  }

  close(): void {
    this.closed = true;
  }

  private run<T>(work: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new TauonError('internal', 'the memory store is closed'));
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new TauonError('internal', String(error)));
    }
  }
}
