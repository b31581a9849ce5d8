import { TauonError } from '../../protocol/errors.js';
import type { ProjectionChange } from './projection-store.js';
import type { ProjectionChangeNotice } from './projection-service.js';

/** The most listeners one projection tells of its changes (ProjectionService.watch). */
export const MAX_CHANGE_WATCHERS = 10_000;

interface Watcher {
  readonly listener: (change: ProjectionChangeNotice) => void;
}

/**
 * The listeners of one projection's committed changes. Each is called synchronously as a commit
 * lands, and nothing is kept for it afterwards: a listener that cannot send at once keeps (and
 * bounds) what it must itself. A listener that throws is reported and the others are still told.
 */
export class ChangeWatchers {
  private readonly watchers = new Set<Watcher>();
  /** Those of every key, and those of one key by their key: a commit looks up only the ones it concerns. */
  private readonly ofEveryKey = new Set<Watcher>();
  private readonly byKey = new Map<string, Set<Watcher>>();

  constructor(
    private readonly name: string,
    private readonly report: (error: unknown) => void,
  ) {}

  /** How many listeners there are. */
  get count(): number {
    return this.watchers.size;
  }

  /**
   * Adds a listener; the returned function removes it (twice is harmless).
   * @throws TauonError `limit` when the projection has too many listeners already.
   */
  add(key: string | undefined, listener: (change: ProjectionChangeNotice) => void): () => void {
    if (this.watchers.size >= MAX_CHANGE_WATCHERS) {
      throw new TauonError('limit', `projection "${this.name}" has ${MAX_CHANGE_WATCHERS} watchers, the most it may have`);
    }
    const watcher: Watcher = { listener };
    this.watchers.add(watcher);
    let set = this.ofEveryKey;
    if (key !== undefined) {
      set = this.byKey.get(key) ?? new Set<Watcher>();
      this.byKey.set(key, set);
    }
    set.add(watcher);
    return () => {
      this.watchers.delete(watcher);
      set.delete(watcher);
      if (key !== undefined && set.size === 0 && this.byKey.get(key) === set) this.byKey.delete(key);
    };
  }

  /** Tells each listener of the changes of one durable commit, in the commit's order. */
  committed(changes: readonly ProjectionChange[], checkpoint: number): void {
    if (this.watchers.size === 0) return;
    for (const change of changes) {
      const notice: ProjectionChangeNotice =
        change.value === undefined ? { name: this.name, key: change.key, checkpoint } : { name: this.name, key: change.key, value: change.value, checkpoint };
      this.tell(this.ofEveryKey, notice);
      const ofKey = this.byKey.get(change.key);
      if (ofKey !== undefined) this.tell(ofKey, notice);
    }
  }

  private tell(watchers: ReadonlySet<Watcher>, notice: ProjectionChangeNotice): void {
    for (const watcher of watchers) {
      try {
        watcher.listener(notice);
      } catch (error) {
        this.report(error);
      }
    }
  }

  clear(): void {
    this.watchers.clear();
    this.ofEveryKey.clear();
    this.byKey.clear();
  }
}
