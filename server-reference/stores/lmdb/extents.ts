import type { Database, RootDatabase } from 'lmdb';

/** Seqs `seq`..`seq + count - 1` of a stream, at positions `pos`..`pos + count - 1`. */
export interface PositionRun {
  readonly seq: number;
  readonly pos: number;
  readonly count: number;
}

/**
 * Where each stream's events are, as runs of consecutive positions: the lmdb store's `extents`
 * database, [stream, firstSeq] -> firstPos. A run goes on to the stream's next extent (or its
 * head). An append whose first event directly follows the stream's last one in position (one
 * writer appending, or a stream alone in its commit) adds no entry, so most appends write none
 * at all, and a replay reads whole runs of the `events` table with one cursor walk each.
 * Stream seqs are dense from 1, so a seq's position is its run's first position plus the
 * distance from its first seq.
 */
export class StreamExtents {
  constructor(private readonly db: Database<number, [string, number]>) {}

  /**
   * Inside the write transaction: records the start of an append's events (`firstSeq` at
   * `firstPos`) unless they continue the stream's last run (`lastPos`: the stream's last
   * position before the append, undefined for a new stream).
   */
  recordAppend(stream: string, firstSeq: number, firstPos: number, lastPos: number | undefined): void {
    if (lastPos === undefined || lastPos !== firstPos - 1) this.db.putSync([stream, firstSeq], firstPos);
  }

  /** The position of seq `seq` of `stream` (1 <= seq <= the stream's head), or undefined when the stream has no extent. */
  positionOf(stream: string, seq: number): number | undefined {
    for (const { key, value } of this.db.getRange({ start: [stream, seq], end: [stream, 0], reverse: true, limit: 1 })) {
      return value + (seq - key[1]);
    }
    return undefined;
  }

  /** The runs holding seqs `from`..`to` (inclusive, 1 <= from <= to <= the stream's head) of `stream`, in seq order. */
  runs(stream: string, from: number, to: number): PositionRun[] {
    const runs: PositionRun[] = [];
    let start = this.positionOf(stream, from);
    if (start === undefined) return runs;
    let seq = from;
    // Extents starting after `from`, up to `to`, each end the run before them.
    for (const { key, value } of this.db.getRange({ start: [stream, from + 1], end: [stream, to + 1] })) {
      runs.push({ seq, pos: start, count: key[1] - seq });
      seq = key[1];
      start = value;
    }
    runs.push({ seq, pos: start, count: to - seq + 1 });
    return runs;
  }
}

/**
 * Converts a store written before extents existed: its `streams` database held [stream, seq]
 * -> pos for every event. Writes the extents of those entries and drops the old database, in
 * one write transaction (all or nothing).
 */
export function migrateStreamIndex(
  root: RootDatabase,
  legacy: Database<number, [string, number]>,
  extents: Database<number, [string, number]>,
): void {
  root.transactionSync(() => {
    let stream: string | undefined;
    let lastPos = 0;
    for (const { key, value } of legacy.getRange({})) {
      const [name, seq] = key;
      if (name !== stream || value !== lastPos + 1) extents.putSync([name, seq], value);
      stream = name;
      lastPos = value;
    }
    legacy.dropSync();
  });
}
