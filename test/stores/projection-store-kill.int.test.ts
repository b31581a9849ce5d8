import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { PostgresStore } from '../../server-reference/stores/postgres/postgres-store.js';
import { JetStreamStore } from '../../server-reference/stores/jetstream/jetstream-store.js';
import { tempDir } from '../support/temp-dir.js';
import { POSTGRES_URL, TestSchemas, postgresAvailable } from './postgres-fixture.js';
import { NATS_URL, TestStores, natsAvailable } from './jetstream-fixture.js';

// A process commits a projection in a loop and is killed with SIGKILL (no close, no flush) while
// commits are in flight. Whatever store it used, what is left must be one whole commit: the
// record and every value from the same commit, at or past the last one acknowledged, and a
// commit from there goes on. Each commit sets 50 small values and two of 600 kB (on JetStream,
// more than one message: a commit in parts, which a kill can cut between its parts).

/** Acknowledged commits after which the process is killed. */
const KILL_AFTER = 12;
/** Keys of small values each commit sets. */
const KEYS = 50;

const blob = (n: number, which: number) => `${which}:${n}:`.padEnd(600_000, 'x');

/** The store modules, as the child imports them. */
const modules = {
  lmdb: pathToFileURL(fileURLToPath(new URL('../../server-reference/stores/lmdb/lmdb-store.ts', import.meta.url))).href,
  postgres: pathToFileURL(fileURLToPath(new URL('../../server-reference/stores/postgres/postgres-store.ts', import.meta.url))).href,
  jetstream: pathToFileURL(fileURLToPath(new URL('../../server-reference/stores/jetstream/jetstream-store.ts', import.meta.url))).href,
};

/** The child's program: `open` is an expression that opens the store, with the module's exports in scope. */
function childScript(module: string, exportName: string, open: string): string {
  return `
    const { ${exportName} } = await import(${JSON.stringify(module)});
    const store = await ${open};
    const blob = ${blob.toString()};
    for (let n = 1; n <= 10000; n++) {
      const changes = [{ key: '', value: { n } }, { key: 'blob 1', value: blob(n, 1) }, { key: 'blob 2', value: blob(n, 2) }];
      for (let k = 0; k < ${KEYS}; k++) changes.push({ key: 'k' + k, value: n });
      const record = { v: 1, revision: n, checkpoint: n * 10, definition: 'kill test', status: 'running', error: null, updated: n };
      const written = await store.projections.commit('killed', changes, record, n === 1 ? undefined : n - 1);
      if (!written) throw new Error('commit ' + n + ' lost its race: nobody else writes');
      process.stdout.write('acked ' + n + '\\n');
    }
  `;
}

/** Runs the child until it acknowledged KILL_AFTER commits, kills it, and answers the last commit acknowledged. */
async function commitUntilKilled(script: string): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  let acked = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    const match = /^acked (\d+)$/.exec(line);
    if (match !== null) acked = Number(match[1]);
    if (acked >= KILL_AFTER) {
      child.kill('SIGKILL');
      break;
    }
  }
  clearTimeout(timer);
  await exited;
  expect(acked, `the process acknowledged commits before it was killed (stderr: ${stderr})`).toBeGreaterThanOrEqual(KILL_AFTER);
  return acked;
}

/** Checks that the projection holds exactly one whole commit, at or past `acked`, and that commits go on from it. */
async function expectOneWholeCommit(store: EventStore, acked: number): Promise<void> {
  const projections = store.projections!;
  const record = await projections.record('killed');
  expect(record, 'a record is kept').toBeDefined();
  const n = record!.revision;
  expect(n, 'every acknowledged commit is kept').toBeGreaterThanOrEqual(acked);
  expect(record!.checkpoint, 'the record is whole').toBe(n * 10);
  expect(await projections.get('killed', ''), 'the unkeyed value is of the same commit as the record').toEqual({ n });
  for (const which of [1, 2]) expect(await projections.get('killed', `blob ${which}`), `large value ${which} is of the same commit`).toBe(blob(n, which));
  const small = await projections.entries('killed', 'blob 2', KEYS + 10);
  expect(small.length, 'every small value is there').toBe(KEYS);
  expect(small.filter((entry) => entry.value !== n).map((entry) => entry.key), 'every small value is of the same commit').toEqual([]);
  const next = { v: 1, revision: n + 1, checkpoint: (n + 1) * 10, definition: 'kill test', status: 'running', error: null, updated: n + 1 } as const;
  expect(await projections.commit('killed', [{ key: '', value: { n: n + 1 } }], next, n), 'a commit goes on from the kept revision').toBe(true);
  expect(await projections.get('killed', ''), 'and is read back').toEqual({ n: n + 1 });
}

const postgres = await postgresAvailable();
const schemas = new TestSchemas();
afterAll(() => schemas.dropAll());
const nats = await natsAvailable();
const stores = new TestStores();
afterAll(() => stores.deleteAll());

describe('projections survive a killed process whole (kill -9)', { timeout: 180_000 }, () => {
  it('lmdb', async () => {
    const directory = await tempDir('projection-kill');
    try {
      const acked = await commitUntilKilled(childScript(modules.lmdb, 'LmdbStore', `LmdbStore.open(${JSON.stringify(directory.path)})`));
      const store = await LmdbStore.open(directory.path);
      try {
        await expectOneWholeCommit(store, acked);
      } finally {
        await store.close();
      }
    } finally {
      await directory.remove();
    }
  });

  it.skipIf(!postgres)('postgres', async () => {
    const schema = schemas.fresh();
    const open = `PostgresStore.open(${JSON.stringify(POSTGRES_URL)}, { schema: ${JSON.stringify(schema)} })`;
    const acked = await commitUntilKilled(childScript(modules.postgres, 'PostgresStore', open));
    const store = await PostgresStore.open(POSTGRES_URL, { schema });
    try {
      await expectOneWholeCommit(store, acked);
    } finally {
      await store.close();
    }
  });

  it.skipIf(!nats)('jetstream', async () => {
    const names = stores.fresh();
    const open = `JetStreamStore.open(${JSON.stringify(NATS_URL)}, ${JSON.stringify(names)})`;
    const acked = await commitUntilKilled(childScript(modules.jetstream, 'JetStreamStore', open));
    const store = await JetStreamStore.open(NATS_URL, names);
    try {
      await expectOneWholeCommit(store, acked);
    } finally {
      await store.close();
    }
  });
});
