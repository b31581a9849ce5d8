// Raw lmdb baselines (DESIGN.md, Measuring): the `lmdb` package alone, in a fresh temporary
// directory per run, without Tauon's store on top. Values are plain msgpack maps (no msgpackr
// records: the same bytes the wire carries, and here also faster than lmdb's shared
// structures); keys are ordered integers, as a store's positions are.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Database } from 'lmdb';
import { BENCH_TYPE, benchData, type BenchStoredEvent } from '../bench-event.js';
import { withinTime } from './within-time.js';

/** Events a transaction, as a group-committing store writes them. */
const EVENTS_PER_TRANSACTION = 1000;
/** Events a transaction when filling a database for the read, which is not timed. */
const EVENTS_PER_FILL_TRANSACTION = 10_000;
const RUN_LIMIT_MS = 60_000;

/**
 * Events a second appended in durable transactions of 1,000 events (the default sync), each
 * awaited before the next starts. Rate = events / elapsed.
 */
export async function rawLmdbAppend(events = 1_000_000): Promise<number> {
  return withDatabase('raw lmdb append', async (db, signal) => {
    const started = performance.now();
    await append(db, events, EVENTS_PER_TRANSACTION, signal);
    const elapsed = performance.now() - started;
    if (db.getKeysCount() !== events) throw new Error(`raw lmdb: ${db.getKeysCount()} of ${events} events stored`);
    return events / (elapsed / 1000);
  });
}

/**
 * Events a second read with one getRange over all of `events` events in key order, each value
 * decoded. The database is filled first; that is not timed. Rate = events / elapsed.
 */
export async function rawLmdbRangeRead(events = 1_000_000): Promise<number> {
  return withDatabase('raw lmdb range read', async (db, signal) => {
    await append(db, events, EVENTS_PER_FILL_TRANSACTION, signal);
    const started = performance.now();
    let read = 0;
    for (const { value } of db.getRange({ start: 1 })) {
      if (value.pos !== read + 1) throw new Error(`raw lmdb: expected pos ${read + 1}, read ${value.pos}`);
      read++;
      if (read % EVENTS_PER_FILL_TRANSACTION === 0) signal.throwIfAborted();
    }
    const elapsed = performance.now() - started;
    if (read !== events) throw new Error(`raw lmdb: read ${read} of ${events} events`);
    return events / (elapsed / 1000);
  });
}

/** Appends events 1..`events` at keys 1..`events`, `perTransaction` to a transaction. */
async function append(
  db: Database<BenchStoredEvent, number>,
  events: number,
  perTransaction: number,
  signal: AbortSignal,
): Promise<void> {
  const recorded = Date.now();
  for (let first = 1; first <= events; first += perTransaction) {
    signal.throwIfAborted();
    // Puts made in one event turn are committed as one transaction; the last one's promise
    // settles once that transaction is flushed to disk.
    let committed: Promise<boolean> = Promise.resolve(true);
    for (let pos = first, last = Math.min(events, first + perTransaction - 1); pos <= last; pos++) {
      committed = db.put(pos, { stream: 'bench', seq: pos, pos, tx: pos, id: randomUUID(), type: BENCH_TYPE, data: benchData(pos), recorded });
    }
    await committed;
  }
}

/** Opens a database in a fresh temporary directory, runs `measure` within time, then removes it all. */
async function withDatabase(
  label: string,
  measure: (db: Database<BenchStoredEvent, number>, signal: AbortSignal) => Promise<number>,
): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'tauon-raw-lmdb-'));
  try {
    // lmdb-js passes `encoder` options on to msgpackr.
    const db = open<BenchStoredEvent, number>(dir, { encoder: { useRecords: false } });
    try {
      return await withinTime(label, RUN_LIMIT_MS, (signal) => measure(db, signal));
    } finally {
      await db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
