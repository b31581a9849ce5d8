import { open, type DatabaseOptions } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../protocol/frames.js';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { tempDir } from '../support/temp-dir.js';

/** The value encoding of the lmdb store (plain msgpack maps). */
const ENCODER = { useRecords: false, variableMapSize: true, skipValues: [undefined] };
const named = (name: string, extra: object = {}) => ({ name, encoder: ENCODER, ...extra }) as DatabaseOptions & { name: string };

/**
 * Writes `events` the way the lmdb store did before extents: events by pos, a per-event
 * `streams` index [stream, seq] -> pos, ids, heads.
 */
async function writeLegacyDirectory(path: string, events: readonly StoredEvent[]): Promise<void> {
  const root = open(path, { maxDbs: 8, pageSize: 8192, encoder: ENCODER });
  const byPos = root.openDB<StoredEvent, number>(named('events'));
  const streams = root.openDB<number, [string, number]>(named('streams'));
  const ids = root.openDB<number, string>(named('ids'));
  const heads = root.openDB<object, string>(named('heads'));
  root.openDB(named('surface'));
  await root.transaction(() => {
    for (const event of events) {
      byPos.putSync(event.pos, event);
      streams.putSync([event.stream, event.seq], event.pos);
      ids.putSync(event.id, event.pos);
      heads.putSync(event.stream, { head: event.seq, tx: event.tx, lastPos: event.pos, lastRecorded: event.recorded });
    }
  });
  await root.close();
}

/** Streams a and b interleaved in runs of 1 to 3 events, 30 events in all. */
function legacyEvents(): StoredEvent[] {
  const events: StoredEvent[] = [];
  const seqs = new Map<string, number>();
  let pos = 0;
  for (let run = 0; events.length < 30; run++) {
    const stream = run % 2 === 0 ? 'a' : 'b';
    for (let i = 0; i <= run % 3; i++) {
      const seq = (seqs.get(stream) ?? 0) + 1;
      seqs.set(stream, seq);
      pos += 1;
      events.push({ id: `${stream}-${seq}`, type: 'Old', stream, seq, pos, tx: seq, recorded: 1_000 + pos, data: { pos } });
    }
  }
  return events;
}

describe('lmdb store: a directory written before extents', () => {
  let directory: { path: string; remove: () => Promise<void> };

  beforeEach(async () => {
    directory = await tempDir('tauon-lmdb-migration');
  });

  afterEach(async () => {
    await directory.remove();
  });

  it('opens with every stream read as before, converts its index once, and appends after its events', async () => {
    const events = legacyEvents();
    await writeLegacyDirectory(directory.path, events);
    const of = (stream: string) => events.filter((event) => event.stream === stream);

    const store = await LmdbStore.open(directory.path);
    try {
      for (const stream of ['a', 'b']) {
        const all = of(stream);
        for (let from = 1; from <= all.length; from++) {
          for (const limit of [1, 2, 5, 100]) {
            expect(await store.readStream(stream, from, 'forward', limit), `${stream} forward from ${from} limit ${limit}`).toEqual(
              all.slice(from - 1, from - 1 + limit),
            );
            expect(await store.readStream(stream, from, 'backward', limit), `${stream} backward from ${from} limit ${limit}`).toEqual(
              all.slice(Math.max(0, from - limit), from).reverse(),
            );
            const encoded = await store.readStreamEncoded(stream, from, limit);
            expect(encoded.positions, `${stream} encoded from ${from} limit ${limit}`).toEqual(
              all.slice(from - 1, from - 1 + limit).map((event) => event.seq),
            );
            expect(msgpackCodec.decode(encoded.bytes.subarray(0, encoded.ends[0]))).toEqual(all[from - 1]);
          }
        }
        expect(await store.findByTime(all[3]!.recorded, stream), `${stream}: findByTime`).toEqual(all[3]);
      }
      const appended = await store.append([{ stream: 'a', events: [{ id: 'new', type: 'New' }], expected: of('a').length, dedupe: false }]);
      expect(appended[0]).toMatchObject({ ok: true, seqs: [of('a').length + 1], positions: [events.length + 1] });
      expect((await store.readStream('a', of('a').length, 'forward', 10)).map((event) => event.id)).toEqual([
        of('a').at(-1)!.id,
        'new',
      ]);
    } finally {
      await store.close();
    }

    const root = open(directory.path, { maxDbs: 8 });
    expect(root.openDB(named('streams', { create: false })) ?? undefined, 'the per-event index is gone').toBeUndefined();
    await root.close();
    const reopened = await LmdbStore.open(directory.path);
    try {
      expect(await reopened.readStream('b', 1, 'forward', 100), 'reopened: b').toEqual(of('b'));
      expect((await reopened.readStream('a', 1, 'forward', 100)).map((event) => event.id)).toEqual([...of('a').map((event) => event.id), 'new']);
    } finally {
      await reopened.close();
    }
  });
});
