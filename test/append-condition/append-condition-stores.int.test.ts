import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open as openLmdb } from 'lmdb';
import { afterAll, describe, expect, it } from 'vitest';
import type { AppendCondition } from '../../protocol/frames.js';
import type { AppendOutcome, AppendRequest, EventStore } from '../../server-reference/stores/event-store.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { quoteIdentifier } from '../../server-reference/stores/postgres/names.js';
import { PostgresStore } from '../../server-reference/stores/postgres/postgres-store.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { startServer } from '../support/harness.js';
import { natsAvailable, TestStores } from '../stores/jetstream-fixture.js';
import { POSTGRES_URL, postgresAvailable, runSql, TestSchemas } from '../stores/postgres-fixture.js';

/*
 * Append conditions where they depend on the store: servers sharing one PostgreSQL schema race
 * for the same seat, stores written before the index by type are indexed when opened, and the
 * JetStream store, which cannot check a condition atomically, refuses one.
 */

const pgUp = await postgresAvailable();
const natsUp = await natsAvailable();
const schemas = new TestSchemas();
const jetstreams = new TestStores();
const directories: string[] = [];

afterAll(async () => {
  await schemas.dropAll();
  if (natsUp) await jetstreams.deleteAll();
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

let unique = 0;
function reserve(stream: string, seat: string, condition?: AppendCondition): AppendRequest {
  unique += 1;
  return { stream, events: [{ id: `r-${unique}-${seat}`, type: 'SeatReserved', key: seat }], expected: 'any', dedupe: false, ...(condition === undefined ? {} : { condition }) };
}

function positionOf(outcome: AppendOutcome | undefined): number {
  if (outcome === undefined || !outcome.ok) throw new Error(`expected a written outcome, got ${JSON.stringify(outcome)}`);
  return outcome.positions[0]!;
}

/** The outcome of the condition `seat` was not reserved in `seats.*` after `after`, appended to `stream`. */
async function tryReserve(store: EventStore, stream: string, seat: string, after: number): Promise<AppendOutcome> {
  const [outcome] = await store.append([reserve(stream, seat, { stream: 'seats.*', types: ['SeatReserved'], keys: [seat], after })]);
  return outcome!;
}

describe.skipIf(!pgUp)('append conditions on PostgreSQL', () => {
  it('let exactly one of the appends of two stores sharing a schema win each race, 5 rounds', async () => {
    const schema = schemas.fresh();
    const stores = [await PostgresStore.open(POSTGRES_URL, { schema }), await PostgresStore.open(POSTGRES_URL, { schema })];
    try {
      for (let round = 0; round < 5; round++) {
        const seat = `seat-${round}`;
        const after = positionOf((await stores[0]!.append([{ stream: 'seats.head', events: [{ id: `h-${round}`, type: 'Opened' }], expected: 'any', dedupe: false }]))[0]);
        const outcomes = await Promise.all(
          Array.from({ length: 8 }, (_, i) => tryReserve(stores[i % 2]!, `seats.booking-${round}-${i}`, seat, after)),
        );
        expect(outcomes.filter((outcome) => outcome.ok), `round ${round}`).toHaveLength(1);
        for (const outcome of outcomes) if (!outcome.ok) expect(outcome.error.code).toBe('condition-failed');
      }
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('indexes, when migrating, the events stored before the index existed', async () => {
    const schema = schemas.fresh();
    const first = await PostgresStore.open(POSTGRES_URL, { schema });
    const at = positionOf((await first.append([reserve('seats.old', 'seat-1')]))[0]);
    await first.close();
    // As a schema of version 3 was: no event_types (nor the later projections), and no record of migrations 4 and on.
    const quoted = quoteIdentifier(schema);
    await runSql(`DROP TABLE ${quoted}.event_types, ${quoted}.projections, ${quoted}.projection_values`);
    await runSql(`DELETE FROM ${quoted}.schema_version WHERE version >= 4`);
    const reopened = await PostgresStore.open(POSTGRES_URL, { schema });
    try {
      const outcome = await tryReserve(reopened, 'seats.new', 'seat-1', at - 1);
      expect(outcome).toMatchObject({ ok: false, error: { code: 'condition-failed', details: { stream: 'seats.new', pos: at } } });
    } finally {
      await reopened.close();
    }
  });
});

describe('append conditions on lmdb', () => {
  it('indexes, when opened, a directory written before the index by type existed', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'tauon-condition-lmdb-'));
    directories.push(directory);
    const first = await LmdbStore.open(directory);
    const at = positionOf((await first.append([reserve('seats.old', 'seat-1')]))[0]);
    await first.close();
    // As a directory of an earlier version was: no `types` database, no mark that it is indexed.
    const root = openLmdb(directory, { maxDbs: 12, pageSize: 8192 });
    root.openDB({ name: 'types' }).dropSync();
    root.openDB<string, string>({ name: 'meta' }).removeSync('types-indexed');
    await root.close();
    const reopened = await LmdbStore.open(directory);
    try {
      const outcome = await tryReserve(reopened, 'seats.new', 'seat-1', at - 1);
      expect(outcome).toMatchObject({ ok: false, error: { code: 'condition-failed', details: { stream: 'seats.new', pos: at } } });
    } finally {
      await reopened.close();
    }
  });
});

describe('append conditions turned off on lmdb', () => {
  it('are not checked while off, and the next open with them on indexes what was written meanwhile', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'tauon-condition-lmdb-off-'));
    directories.push(directory);
    const on = await LmdbStore.open(directory);
    const before = positionOf((await on.append([reserve('seats.a', 'seat-1')]))[0]);
    await on.close();
    const off = await LmdbStore.open(directory, { appendConditions: false });
    expect(off.checksAppendConditions).toBe(false);
    const during = positionOf((await off.append([reserve('seats.b', 'seat-2')]))[0]);
    await off.close();
    const again = await LmdbStore.open(directory);
    try {
      expect(again.checksAppendConditions).toBe(true);
      expect(await tryReserve(again, 'seats.c', 'seat-1', before - 1)).toMatchObject({ ok: false, error: { details: { pos: before } } });
      expect(await tryReserve(again, 'seats.d', 'seat-2', before), 'the event written while off is indexed').toMatchObject({ ok: false, error: { details: { pos: during } } });
    } finally {
      await again.close();
    }
  });
});

describe.skipIf(!natsUp)('append conditions on JetStream', () => {
  it('are not announced, and an append with one is unsupported and writes nothing', async () => {
    const store = await jetstreams.open();
    expect((store as EventStore).checksAppendConditions).toBeUndefined();
    await expect(store.append([reserve('seats.direct', 's', { stream: 'seats.*', types: ['SeatReserved'], after: 0 })]), 'called directly, the store refuses too').rejects.toMatchObject({ code: 'unsupported' });
    expect(await store.streamInfo('seats.direct')).toBeUndefined();
    const running = await startServer('memory', { store, onClose: () => store.close() });
    try {
      const peer = new RawPeer(await running.connect());
      peer.send({ type: 'hello', versions: [1] });
      expect((await peer.expect('welcome')).features ?? []).not.toContain('append-condition');
      peer.send({ type: 'append', id: 1, stream: 'seats.a', events: [{ type: 'SeatReserved', key: 's' }], condition: { stream: 'seats.*', types: ['SeatReserved'], after: 0 } });
      expect(await peer.expect('error', { id: 1 })).toMatchObject({ code: 'unsupported' });
      peer.send({ type: 'append', id: 2, stream: 'seats.a', events: [{ type: 'SeatReserved', key: 's' }], newChain: true });
      expect(await peer.expect('appended', { id: 2 }), 'nothing was written before it').toMatchObject({ seqs: [1] });
      peer.close();
    } finally {
      await running.close();
    }
  });
});
