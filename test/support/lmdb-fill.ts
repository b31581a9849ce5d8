import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';

/** What {@link fillLmdb} writes. */
export interface LmdbFill {
  /** Small events (a type, no data) spread over `streams` streams named `bulk-N`. */
  readonly events: number;
  /** @default 10 */
  readonly streams?: number;
  /** Events of one stream `keyed`, each with a key of its own (a surface of that many keys). */
  readonly keyed?: number;
}

/** Events per append call: the planner's and LMDB's bulk path, many calls per commit. */
const CALL_EVENTS = 10_000;
/** Calls in flight at once: they share one commit (the store's group commit). */
const CALLS_PER_COMMIT = 5;

/**
 * Writes a large store fast, through the store's own bulk append path (not the wire): a
 * million small events take a few seconds. Unsynced: a test's store need not survive a crash.
 */
export async function fillLmdb(path: string, fill: LmdbFill): Promise<void> {
  const store = await LmdbStore.open(path, { sync: false });
  try {
    const streams = fill.streams ?? 10;
    // Ids in increasing order: each is beyond every stored one, so no id lookup is needed.
    const id = (n: number) => `fill-${String(n).padStart(9, '0')}`;
    for (let start = 0; start < fill.events; start += CALL_EVENTS * CALLS_PER_COMMIT) {
      const calls: Promise<unknown>[] = [];
      for (let call = 0; call < CALLS_PER_COMMIT && start + call * CALL_EVENTS < fill.events; call++) {
        const base = start + call * CALL_EVENTS;
        const events = Array.from({ length: Math.min(CALL_EVENTS, fill.events - base) }, (_, i) => ({ id: id(base + i), type: 'filler' }));
        calls.push(store.append([{ stream: `bulk-${(base / CALL_EVENTS) % streams}`, events, expected: 'any', dedupe: false }]));
      }
      await Promise.all(calls);
    }
    for (let base = 0; base < (fill.keyed ?? 0); base += CALL_EVENTS) {
      const count = Math.min(CALL_EVENTS, fill.keyed! - base);
      const events = Array.from({ length: count }, (_, i) => ({ id: id(fill.events + base + i), type: 'set', key: `k${base + i}` }));
      await store.append([{ stream: 'keyed', events, expected: 'any', dedupe: false }]);
    }
  } finally {
    await store.close();
  }
}
