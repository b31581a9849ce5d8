import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import type { StoredEvent } from '../../protocol/frames.js';
import { wsTransport } from '../../transports/ws/index.js';
import { NATS_URL, natsAvailable } from '../stores/jetstream-fixture.js';
import { POSTGRES_URL, postgresAvailable } from '../stores/postgres-fixture.js';
import { serviceStoreNames } from '../stores/service-store-names.js';
import { runTauon, startServe, type ServeProcess } from '../support/cli-process.js';
import { tempDir } from '../support/temp-dir.js';
import { runOnTerminal, terminalAvailable } from './terminal-run.js';

const withPostgres = await postgresAvailable();
const withNats = await natsAvailable();
const { schemas, jetStreams } = serviceStoreNames();

/** Events in the bulk stream: more than a page of the export, in several transactions. */
const BULK_EVENTS = 230;
const BULK_PER_TX = 23;

/** The lines of an export as stored events. */
function eventsOf(ndjson: string): StoredEvent[] {
  return ndjson.trim() === '' ? [] : ndjson.trim().split('\n').map((line) => JSON.parse(line) as StoredEvent);
}

/**
 * What an import keeps of each event, stream by stream in seq order: everything but the
 * store-wide position, the recording time, and the id of a system event (the target's own).
 */
function kept(events: readonly StoredEvent[]): Map<string, unknown[]> {
  const streams = new Map<string, unknown[]>();
  for (const event of events) {
    const { pos: _pos, recorded: _recorded, id, ...rest } = event;
    const list = streams.get(event.stream) ?? [];
    list.push(event.type.startsWith('$') ? rest : { id, ...rest });
    streams.set(event.stream, list);
  }
  return streams;
}

describe('tauon export and import', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let source: ServeProcess;
  /** The source's $all export, and its file. */
  let exported: string;
  let file: string;
  const targets: ServeProcess[] = [];

  /** Starts a server for the import to go into. */
  async function target(args: readonly string[]): Promise<ServeProcess> {
    const started = await startServe([...args, '--port', '0'], 60_000);
    targets.push(started);
    return started;
  }

  /** Imports the file into a target, twice, and checks that it then holds what the source held. */
  async function importAndCompare(into: ServeProcess): Promise<void> {
    const first = await runTauon(['import', file, '--url', into.url], 60_000);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const events = eventsOf(exported);
    const systemEvents = events.filter((event) => event.type.startsWith('$')).length;
    expect(JSON.parse(first.stdout)).toEqual({
      imported: events.length - systemEvents,
      alreadyThere: 0,
      invalidated: systemEvents,
      invalidatedAlreadyThere: 0,
      skipped: 0,
    });
    const again = await runTauon(['import', file, '--url', into.url], 60_000);
    expect(JSON.parse(again.stdout), 'the second run stores nothing').toEqual({
      imported: 0,
      alreadyThere: events.length - systemEvents,
      invalidated: 0,
      invalidatedAlreadyThere: systemEvents,
      skipped: 0,
    });
    const back = await runTauon(['export', '$all', '--url', into.url], 60_000);
    expect(back.code).toBe(0);
    expect(kept(eventsOf(back.stdout))).toEqual(kept(events));
  }

  beforeAll(async () => {
    dir = await tempDir('cli-export');
    source = await startServe(['--data', join(dir.path, 'source'), '--port', '0'], 60_000);
    const client = await connect(wsTransport(source.url));
    try {
      await client.emit('orders.1', [
        {
          id: 'order-1-placed',
          type: 'Placed',
          key: 'order-1',
          data: { lines: [{ sku: 'café-☕', qty: 2, price: 1.5 }], note: null, gift: false, emoji: '😀' },
          meta: { by: 'ann', channel: 'web' },
          time: 1_700_000_000_000,
          causation: 'cmd-1',
          correlation: 'checkout-1',
          schema: 'https://example.com/placed.json',
        },
        { id: 'order-1-tagged', type: 'Tagged', key: 'order-1', data: JSON.parse('{"__proto__":{"polluted":true},"constructor":1}') as unknown },
      ]);
      await client.emit('users.ann', { type: 'Joined', data: 'a string' });
      await client.emit('orders.1', { type: 'Paid', key: 'order-1', data: [1, -2, 3.25, 'x', null, true] });
      await client.emit('orders.2', { type: 'Placed', key: 'order-2', data: 42 });
      await client.invalidate('orders.1', 2, 'card declined');
      for (let tx = 0; tx < BULK_EVENTS / BULK_PER_TX; tx++) {
        await client.emit(
          'bulk',
          Array.from({ length: BULK_PER_TX }, (_, index) => ({ type: 'Counted', key: `k${index % 5}`, data: { n: tx * BULK_PER_TX + index } })),
        );
      }
      await client.emit('users.ann', { type: 'Left' });
      await client.invalidate('users.ann', 2);
    } finally {
      await client.close();
    }
    const run = await runTauon(['export', '$all', '--url', source.url, '--page', '40'], 60_000);
    expect(run.stderr, 'nothing on stderr when it is not a terminal').toBe('');
    expect(run.code).toBe(0);
    exported = run.stdout;
    file = join(dir.path, 'all.ndjson');
    await writeFile(file, exported);
  }, 120_000);
  afterAll(async () => {
    await source?.stop();
    for (const started of targets) await started.stop();
    await dir?.remove();
  });

  it('exports every event of the store in store order, one stored event per JSON line', async () => {
    const events = eventsOf(exported);
    expect(events).toHaveLength(BULK_EVENTS + 8);
    expect(events.map((event) => event.pos)).toEqual([...events.map((event) => event.pos)].sort((a, b) => a - b));
    const client = await connect(wsTransport(source.url));
    try {
      const stored = (await client.read('orders.1')).events;
      expect(events.filter((event) => event.stream === 'orders.1'), 'the events as the server delivers them').toEqual(stored);
    } finally {
      await client.close();
    }
    expect(events[0]).toMatchObject({ stream: 'orders.1', seq: 1, tx: 1, id: 'order-1-placed', meta: { by: 'ann', channel: 'web' }, time: 1_700_000_000_000 });
    expect(Object.keys(events[1]!.data as object)).toEqual(['__proto__', 'constructor']);
  });

  it('exports one stream or a pattern, from and to a position', async () => {
    const some = await runTauon(['export', 'bulk', '--url', source.url, '--from', 'after:10', '--to', '20', '--page', '3']);
    expect(eventsOf(some.stdout).map((event) => event.seq)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    const orders = await runTauon(['export', 'orders.*', '--url', source.url]);
    expect(eventsOf(orders.stdout)).toEqual(eventsOf(exported).filter((event) => event.stream.startsWith('orders.')));
    const typed = await runTauon(['export', '$all', '--url', source.url, '--types', 'Placed']);
    expect(eventsOf(typed.stdout).map((event) => event.stream)).toEqual(['orders.1', 'orders.2']);
  });

  it('imports into lmdb: the same ids, types, keys, data, meta, seqs and txs; twice stores nothing twice', async () => {
    await importAndCompare(await target(['--data', join(dir.path, 'lmdb-target')]));
  }, 180_000);

  it.skipIf(!withPostgres)('imports into PostgreSQL the same', async () => {
    await importAndCompare(await target(['--store', `${POSTGRES_URL}?schema=${schemas.fresh('cli_import')}`]));
  }, 180_000);

  it.skipIf(!withNats)('imports into JetStream the same', async () => {
    const names = jetStreams.fresh();
    await importAndCompare(await target(['--store', `${NATS_URL}?stream=${names.stream}&subjectPrefix=${names.subjectPrefix}`]));
  }, 180_000);

  it('resumes an interrupted import: what is there is counted, the rest written, from a file or stdin', async () => {
    const into = await target(['--data', join(dir.path, 'resumed')]);
    const lines = exported.trim().split('\n');
    // Interrupted in the middle of the bulk stream, between two of its transactions (an append is
    // all or nothing, so an interrupted import stops there).
    const events = eventsOf(exported);
    let cut = 100;
    while (events[cut]!.tx === events[cut - 1]!.tx) cut += 1;
    const half = lines.slice(0, cut).join('\n');
    const firstPart = await runTauon(['import', '-', '--url', into.url], 30_000, { input: `${half}\n` });
    expect(firstPart.stderr).toBe('');
    const before = JSON.parse(firstPart.stdout) as { imported: number; invalidated: number };
    const whole = await runTauon(['import', file, '--url', into.url], 60_000);
    const after = JSON.parse(whole.stdout) as { imported: number; alreadyThere: number; invalidated: number; invalidatedAlreadyThere: number };
    expect(after.alreadyThere).toBe(before.imported);
    expect(after.invalidatedAlreadyThere).toBe(before.invalidated);
    expect(before.imported + after.imported + before.invalidated + after.invalidated).toBe(lines.length);
    const back = await runTauon(['export', '$all', '--url', into.url]);
    expect(kept(eventsOf(back.stdout))).toEqual(kept(eventsOf(exported)));
  }, 120_000);

  it('imports into streams that already hold events: seqs and txs shift, invalidations name the shifted transaction, once', async () => {
    const into = await target(['--data', join(dir.path, 'shifted')]);
    const client = await connect(wsTransport(into.url));
    try {
      await client.emit('orders.1', { type: 'AlreadyHere' });
    } finally {
      await client.close();
    }
    for (let run = 0; run < 2; run++) {
      const imported = await runTauon(['import', file, '--url', into.url], 60_000);
      expect(imported.code, imported.stderr).toBe(0);
      expect(JSON.parse(imported.stdout), `run ${run + 1}`).toMatchObject(run === 0 ? { invalidated: 2, invalidatedAlreadyThere: 0 } : { imported: 0, invalidated: 0, invalidatedAlreadyThere: 2 });
    }
    const back = eventsOf((await runTauon(['export', 'orders.1', '--url', into.url])).stdout);
    const original = eventsOf(exported).filter((event) => event.stream === 'orders.1');
    expect(back.map((event) => [event.seq, event.tx, event.type])).toEqual([[1, 1, 'AlreadyHere'], ...original.map((event) => [event.seq + 1, event.tx + 1, event.type])]);
    const invalidation = back.find((event) => event.type === '$invalidated');
    expect(invalidation?.data, 'the shifted transaction of the same events').toEqual({ tx: 3, reason: 'card declined' });
  }, 120_000);

  it('stops at a line that is not an exported event, says where and what was imported; a missing file is a usage error', async () => {
    const into = await target(['--data', join(dir.path, 'broken')]);
    const lines = exported.trim().split('\n');
    const broken = join(dir.path, 'broken.ndjson');
    // Lines 1 and 3 are a transaction of orders.1, line 4 one of users.ann, still pending at line 5.
    await writeFile(broken, `${lines[0]}\n\n${lines[1]}\n${lines[2]}\n{"stream":"orders.1","type":"NoId"}\n${lines[3]}\n`);
    const run = await runTauon(['import', broken, '--url', into.url]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('tauon import: bad-frame: line 5 is not a stored event as tauon export writes it: id');
    expect(run.stderr).toContain('stopped at line 5 after imported 2 events (0 already there)');
    const notJson = join(dir.path, 'not-json.ndjson');
    await writeFile(notJson, 'hello\n');
    expect((await runTauon(['import', notJson, '--url', into.url])).stderr).toContain('bad-frame: line 1 is not JSON: hello');
    const missing = await runTauon(['import', join(dir.path, 'absent.ndjson'), '--url', into.url]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read');
    expect(missing.stderr).toContain('absent.ndjson');
  }, 60_000);

  it.skipIf(!terminalAvailable())('shows progress on stderr when it is a terminal, and the counts as text', async () => {
    const out = join(dir.path, 'on-terminal.ndjson');
    const exporting = await runOnTerminal(['export', '$all', '--url', source.url, '--page', '50'], out);
    expect(exporting.code).toBe(0);
    expect(exporting.shown).toContain(`exported ${BULK_EVENTS + 8} events (to pos `);
    expect(await readFile(out, 'utf8')).toBe(exported);
    const into = await target(['--data', join(dir.path, 'terminal')]);
    const importing = await runOnTerminal(['import', file, '--url', into.url]);
    expect(importing.code).toBe(0);
    const summary = `imported ${BULK_EVENTS + 6} events (0 already there); 2 invalidations made again (0 already there); 0 skipped`;
    expect(importing.shown).toContain(`\rline ${BULK_EVENTS + 8}: ${summary}`);
    expect(importing.shown.endsWith(`\r\n${summary}\r\n`)).toBe(true);
  }, 120_000);

  it('refuses to export data JSON cannot carry, after the events before it, naming it; or skips it when asked', async () => {
    const client = await connect(wsTransport(source.url));
    try {
      await client.emit('blobs', [{ type: 'Text', data: 'before' }, { type: 'Binary', data: new Uint8Array([1, 2, 3]) }, { type: 'Text', data: 'after' }]);
    } finally {
      await client.close();
    }
    const run = await runTauon(['export', 'blobs', '--url', source.url]);
    expect(run.code).toBe(1);
    expect(eventsOf(run.stdout).map((event) => event.data)).toEqual(['before']);
    expect(run.stderr).toContain('tauon export: unrepresentable: ');
    expect(run.stderr).toContain('--from after:2 goes on past it');
    const skipping = await runTauon(['export', 'blobs', '--url', source.url, '--skip-unrepresentable']);
    expect(skipping.code).toBe(0);
    expect(eventsOf(skipping.stdout).map((event) => event.data)).toEqual(['before', 'after']);
    expect(skipping.stderr).toBe('tauon export: skipped event 2 (seq): its data has no JSON form\n');
    const all = await runTauon(['export', '$all', '--url', source.url, '--skip-unrepresentable']);
    expect(eventsOf(all.stdout)).toHaveLength(eventsOf(exported).length + 2);
  });
});
