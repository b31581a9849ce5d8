import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { PostgresStore } from '../../server-reference/stores/postgres/postgres-store.js';
import { POSTGRES_URL, postgresAvailable } from '../stores/postgres-fixture.js';
import { NATS_URL, natsAvailable } from '../stores/jetstream-fixture.js';
import { serviceStoreNames } from '../stores/service-store-names.js';
import { runTauon, startServe, type ServeProcess } from '../support/cli-process.js';
import { tempDir } from '../support/temp-dir.js';

/** The events of an lmdb directory, as `stream:type`, read after the server has stopped. */
async function eventsIn(directory: string): Promise<string[]> {
  const store = await LmdbStore.open(directory);
  try {
    return (await store.readAll(1, 'forward', 100)).map((event) => `${event.stream}:${event.type}`);
  } finally {
    await store.close();
  }
}

const withPostgres = await postgresAvailable();
const withNats = await natsAvailable();
const { schemas, jetStreams } = serviceStoreNames();

describe('tauon serve: choosing stores', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let serve: ServeProcess | undefined;
  beforeEach(async () => {
    dir = await tempDir('cli-stores');
  });
  afterEach(async () => {
    await serve?.stop();
    serve = undefined;
    await dir.remove();
  });

  async function configFile(content: unknown): Promise<string> {
    const file = join(dir.path, 'tauon.config.json');
    await writeFile(file, JSON.stringify(content));
    return file;
  }

  it('--config routes streams by prefix to two lmdb stores; $all is refused with the routes named', async () => {
    const file = await configFile({
      stores: { main: { kind: 'lmdb', path: 'main' }, orders: { kind: 'lmdb', path: 'orders' } },
      routes: [{ prefix: 'orders.', store: 'orders' }],
      default: 'main',
      listen: { host: '127.0.0.1', port: 7600 },
    });
    serve = await startServe(['--config', file, '--port', '0'], 60_000);
    expect(serve.output()).toContain('("orders." -> orders, the rest -> main; main: lmdb store in ');

    for (const [stream, type] of [
      ['orders.1', 'Placed'],
      ['users.1', 'Joined'],
      ['orders.2', 'Placed'],
    ] as const) {
      const emitted = await runTauon(['emit', '--url', serve.url, stream, type]);
      expect(emitted.stderr).toBe('');
      expect(JSON.parse(emitted.stdout)).toMatchObject({ stream, seq: 1 });
    }
    const listed = await runTauon(['streams', '--url', serve.url]);
    expect(listed.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { stream: string }).stream)).toEqual([
      'orders.1',
      'orders.2',
      'users.1',
    ]);
    const tailed = await runTauon(['tail', '--url', serve.url, 'orders.2', '--mode', 'cold']);
    expect(tailed.code).toBe(0);
    expect(JSON.parse(tailed.stdout), 'the orders store’s positions').toMatchObject({ stream: 'orders.2', seq: 1, pos: 2 });
    const all = await runTauon(['tail', '--url', serve.url, '$all', '--mode', 'cold']);
    expect(all.code).toBe(1);
    expect(all.stderr).toContain('forbidden: cannot follow "$all": its streams are in more than one store ("orders." -> orders (lmdb), the rest -> main (lmdb))');

    expect(await serve.stop()).toBe(0);
    serve = undefined;
    expect(await eventsIn(join(dir.path, 'orders')), 'the orders directory').toEqual(['orders.1:Placed', 'orders.2:Placed']);
    expect(await eventsIn(join(dir.path, 'main')), 'the default directory').toEqual(['users.1:Joined']);
  });

  it.skipIf(!withPostgres || !withNats)('--config routes prefixes to PostgreSQL and JetStream, the rest to lmdb', async () => {
    const schema = schemas.fresh('cli');
    const names = jetStreams.fresh();
    const file = await configFile({
      stores: {
        main: { kind: 'lmdb', path: 'main' },
        pg: { kind: 'postgres', url: POSTGRES_URL, schema },
        js: { kind: 'jetstream', url: NATS_URL, stream: names.stream, subjectPrefix: names.subjectPrefix },
      },
      routes: [
        { prefix: 'orders.', store: 'pg' },
        { prefix: 'telemetry.', store: 'js' },
      ],
      default: 'main',
    });
    serve = await startServe(['--config', file, '--port', '0'], 60_000);
    for (const [stream, type] of [
      ['orders.1', 'Placed'],
      ['telemetry.cpu', 'Sampled'],
      ['users.1', 'Joined'],
      ['orders.1', 'Paid'],
    ] as const) {
      const emitted = await runTauon(['emit', '--url', serve.url, stream, type]);
      expect(emitted.stderr).toBe('');
      expect(emitted.code).toBe(0);
    }
    const listed = await runTauon(['streams', '--url', serve.url]);
    expect(listed.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { stream: string; count: number }).count)).toEqual([2, 1, 1]);
    expect(await serve.stop()).toBe(0);
    serve = undefined;

    const pg = await PostgresStore.open(POSTGRES_URL, { schema });
    expect((await pg.readAll(1, 'forward', 10)).map((e) => `${e.stream}:${e.type}`), 'in PostgreSQL').toEqual([
      'orders.1:Placed',
      'orders.1:Paid',
    ]);
    await pg.close();
    const js = await jetStreams.open(names);
    expect((await js.readAll(1, 'forward', 10)).map((e) => `${e.stream}:${e.type}`), 'in JetStream').toEqual(['telemetry.cpu:Sampled']);
    await js.close();
    expect(await eventsIn(join(dir.path, 'main')), 'in lmdb').toEqual(['users.1:Joined']);
  });

  it.skipIf(!withPostgres || !withNats)('--store postgres://...?schema= and nats://...?stream=&subjectPrefix= serve one store each', async () => {
    const schema = schemas.fresh('cli');
    const names = jetStreams.fresh();
    for (const url of [
      `${POSTGRES_URL}?schema=${schema}`,
      `${NATS_URL}?stream=${names.stream}&subjectPrefix=${names.subjectPrefix}`,
    ]) {
      serve = await startServe(['--store', url, '--port', '0'], 60_000);
      const emitted = await runTauon(['emit', '--url', serve.url, 'one.store', 'Stored']);
      expect(emitted.stderr).toBe('');
      expect(await serve.stop()).toBe(0);
      serve = undefined;
    }
    const pg = await PostgresStore.open(POSTGRES_URL, { schema });
    expect((await pg.readAll(1, 'forward', 10)).map((e) => e.stream), 'in the PostgreSQL schema of the URL').toEqual(['one.store']);
    await pg.close();
    const js = await jetStreams.open(names);
    expect((await js.readAll(1, 'forward', 10)).map((e) => e.stream), 'in the JetStream stream of the URL').toEqual(['one.store']);
    await js.close();
  });

  it('--store postgres:// and nats:// exit 1 with the store’s error when it cannot be reached', async () => {
    const pg = await runTauon(['serve', '--store', 'postgres://127.0.0.1:1/test', '--port', '0']);
    expect(pg.code).toBe(1);
    expect(pg.stderr).toContain('cannot open the postgres store at postgres://127.0.0.1:1/test');
    const nats = await runTauon(['serve', '--store', 'nats://127.0.0.1:1', '--port', '0']);
    expect(nats.code).toBe(1);
    expect(nats.stderr).toContain('cannot open the jetstream store at nats://127.0.0.1:1');
  });

  it('--store lmdb:DIR serves one lmdb store', async () => {
    const data = join(dir.path, 'one');
    serve = await startServe(['--store', `lmdb:${data}`, '--port', '0'], 60_000);
    expect(serve.output()).toContain(`(lmdb store in ${data})`);
    await runTauon(['emit', '--url', serve.url, 'anything', 'Happened']);
    expect(await serve.stop()).toBe(0);
    serve = undefined;
    expect(await eventsIn(data)).toEqual(['anything:Happened']);
  });

  it('exits 2 with the message for a bad --store, a bad configuration, or two ways of naming the store', async () => {
    const scheme = await runTauon(['serve', '--store', 'mysql://127.0.0.1/db', '--port', '0']);
    expect(scheme.code).toBe(2);
    expect(scheme.stderr).toContain('tauon serve: --store: unknown store URL scheme "mysql:"; the forms are postgres://');
    const unparsable = await runTauon(['serve', '--store', 'postgres://[::1/test', '--port', '0']);
    expect(unparsable.code).toBe(2);
    expect(unparsable.stderr).toContain('--store: "postgres://[::1/test" is not a valid URL');

    const file = await configFile({
      stores: { main: { kind: 'lmdb', path: 'main' }, pg: { kind: 'postgress', url: 'postgres://127.0.0.1/test' } },
      routes: [{ prefix: 'orders.', store: 'pq' }],
      default: 'main',
      listen: { port: 'any' },
    });
    const invalid = await runTauon(['serve', '--config', file]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain(`${file} has 2 problems:`);
    expect(invalid.stderr).toContain('stores.pg.kind: unknown store kind "postgress"; the kinds are "lmdb", "postgres", "jetstream"');
    expect(invalid.stderr).toContain('listen.port: Invalid input: expected number, received string');

    const reference = await runTauon(['serve', '--config', await configFile({ stores: { main: { kind: 'lmdb', path: 'm' } }, routes: [{ prefix: 'o.', store: 'pg' }] })]);
    expect(reference.code).toBe(2);
    expect(reference.stderr).toContain('routes[0].store: no store is named "pg"; the stores are "main"');

    const missing = await runTauon(['serve', '--config', join(dir.path, 'absent.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('absent.json: cannot read the configuration: no such file');

    const both = await runTauon(['serve', '--config', file, '--data', dir.path]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--config, --data: give only one');
  });
});
