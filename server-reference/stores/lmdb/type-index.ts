import type { Database, RootDatabase } from 'lmdb';
import type { AppendCondition, StoredEvent } from '../../../protocol/frames.js';
import { checkCondition, CONDITION_SCAN_LIMIT, type ConditionVerdict, type TypedEntry } from '../append-condition.js';

/** What the `types` database keeps per event: its stream, and its key when it has one. */
type TypeEntryValue = readonly [stream: string] | readonly [stream: string, key: string];

/** Larger than any position a store hands out; the exclusive end of a type's range. */
const BEYOND_LAST = Number.MAX_SAFE_INTEGER;
/** The `meta` entry that says every stored event is in the index (directories of earlier versions lack it). */
const INDEXED_MARK = 'types-indexed';
/** How many events one write transaction of the first indexing covers. */
const INDEXING_BATCH = 10_000;

/**
 * The `types` database of the lmdb store: [type, pos] -> [stream, key?] for every event, so that
 * an append's condition (SPEC 5.8.1) is checked by walking the events of its types after its
 * position, and no others. Its keys are ordered by type, then position, so a type's events
 * after a position are one range; the walk is bounded (append-condition.ts).
 */
export class TypeIndex {
  constructor(private readonly types: Database<TypeEntryValue, [string, number]>) {}

  /** Inside the write transaction: indexes one event being written. */
  record(event: StoredEvent): void {
    this.types.putSync([event.type, event.pos], event.key === undefined ? [event.stream] : [event.stream, event.key]);
  }

  /** Inside the write transaction (so it sees the call's own writes): checks the condition. */
  verdict(condition: AppendCondition): ConditionVerdict {
    return checkCondition(condition, (type) => this.entriesAfter(type, condition.after));
  }

  /** The events of `type` after `after`, in position order: at most one past the scan limit. */
  private *entriesAfter(type: string, after: number): Generator<TypedEntry> {
    const range = this.types.getRange({ start: [type, after + 1], end: [type, BEYOND_LAST], limit: CONDITION_SCAN_LIMIT + 1 });
    for (const { key, value } of range) yield { pos: key[1], stream: value[0], key: value[1] };
  }
}

/**
 * Empties the index of a store opened without append conditions, whose events it will not
 * record: the next open with conditions indexes every event again.
 */
export function forgetTypes(root: RootDatabase, types: Database<TypeEntryValue, [string, number]>, meta: Database<string, string>): void {
  if (meta.get(INDEXED_MARK) === undefined) return;
  root.transactionSync(() => {
    types.clearSync();
    meta.removeSync(INDEXED_MARK);
  });
}

/**
 * Indexes, once, the events of a directory written before the `types` database existed, in
 * batches of write transactions, then marks the directory as indexed. A store opened again
 * after an interrupted run starts over from the first event (puts are idempotent).
 */
export function indexTypesOnce(
  root: RootDatabase,
  events: Database<StoredEvent, number>,
  types: Database<TypeEntryValue, [string, number]>,
  meta: Database<string, string>,
): void {
  if (meta.get(INDEXED_MARK) !== undefined) return;
  let from = 1;
  for (;;) {
    let last = 0;
    root.transactionSync(() => {
      for (const { key, value } of events.getRange({ start: from, end: BEYOND_LAST, limit: INDEXING_BATCH })) {
        types.putSync([value.type, key], value.key === undefined ? [value.stream] : [value.stream, value.key]);
        last = key;
      }
    });
    if (last === 0) break;
    from = last + 1;
  }
  root.transactionSync(() => meta.putSync(INDEXED_MARK, 'yes'));
}
