import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { wsTransport } from '../../transports/ws/index.js';
import { runTauon, startServe, type ServeProcess } from '../support/cli-process.js';
import { requireService } from '../support/services.js';
import { outsideProject, type OutsideProject } from '../stores/outside-store/outside-project.js';

// A store of the user's own, in a project outside the repository, served by a real
// `tauon serve --config` process and driven by the client: alone, behind routes, over AMQP,
// and stopped cleanly (its file holds what was acknowledged, and a restart serves it again).

const rabbitMq = await requireService('RabbitMQ', 5672);
const BROKER = 'amqp://127.0.0.1';

/** The lines of the store's JSON-lines file, as `stream:type`. */
async function storedIn(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { stream: string; type: string })
    .map((event) => `${event.stream}:${event.type}`);
}

describe('tauon serve --config with a store module outside the repository', () => {
  let project: OutsideProject;
  let serve: ServeProcess | undefined;
  let client: Client | undefined;
  beforeEach(async () => {
    project = await outsideProject('store-module-serve');
  });
  afterEach(async () => {
    await client?.close();
    client = undefined;
    await serve?.stop();
    serve = undefined;
    await project.remove();
  });

  async function configFile(content: unknown): Promise<string> {
    const file = join(project.path, 'tauon.config.json');
    await writeFile(file, JSON.stringify(content));
    return file;
  }

  const moduleStore = { kind: 'module', module: './json-lines-store.mjs', options: { file: 'events.jsonl' } };

  it('serves it: emit, replay and live delivery through the client; a clean stop leaves every event in its file, and a restart serves them again', async () => {
    const file = await configFile({ stores: { main: moduleStore }, listen: { port: 0 } });
    serve = await startServe(['--config', file], 60_000);
    expect(serve.output()).toContain(`(store module ./json-lines-store.mjs in ${project.path})`);

    client = await connect(wsTransport(serve.url), { reconnect: { enabled: false } });
    const live = firstValueFrom(client.live('journal').pipe(take(2), toArray()));
    await client.emit('journal', [{ type: 'Opened', data: { n: 1 } }, { type: 'Wrote', data: { n: 2 } }]);
    await client.emit('other', { type: 'Noted' });
    expect((await live).map((event) => [event.seq, event.type]), 'live delivery from the module store').toEqual([
      [1, 'Opened'],
      [2, 'Wrote'],
    ]);
    const replayed = await firstValueFrom(client.replay('$all').pipe(toArray()));
    expect(replayed.map((event) => [event.pos, event.stream, event.type])).toEqual([
      [1, 'journal', 'Opened'],
      [2, 'journal', 'Wrote'],
      [3, 'other', 'Noted'],
    ]);
    await client.close();
    client = undefined;

    expect(await serve.stop(), 'a clean stop (SIGTERM): exit 0').toBe(0);
    serve = undefined;
    const eventsFile = join(project.path, 'events.jsonl');
    expect(await storedIn(eventsFile), 'the store was closed with every event written').toEqual([
      'journal:Opened',
      'journal:Wrote',
      'other:Noted',
    ]);

    serve = await startServe(['--config', file], 60_000);
    client = await connect(wsTransport(serve.url), { reconnect: { enabled: false } });
    const ack = await client.emit('journal', { type: 'Reopened' });
    expect(ack, 'positions go on from the stored ones').toMatchObject({ seq: 3 });
    const again = await firstValueFrom(client.replay('journal').pipe(toArray()));
    expect(again.map((event) => event.type)).toEqual(['Opened', 'Wrote', 'Reopened']);
  });

  it('routes a prefix to it beside a built-in store; $all across both is refused', async () => {
    const file = await configFile({
      stores: { main: { kind: 'lmdb', path: 'data' }, scratch: moduleStore },
      routes: [{ prefix: 'scratch.', store: 'scratch' }],
      default: 'main',
      listen: { port: 0 },
    });
    serve = await startServe(['--config', file], 60_000);
    expect(serve.output()).toContain(`"scratch." -> scratch, the rest -> main; main: lmdb store in ${join(project.path, 'data')}, scratch: store module ./json-lines-store.mjs in ${project.path}`);
    client = await connect(wsTransport(serve.url), { reconnect: { enabled: false } });
    await client.emit('scratch.notes', { type: 'Jotted' });
    await client.emit('orders.1', { type: 'Placed' });
    const scratch = await firstValueFrom(client.replay('scratch.notes').pipe(toArray()));
    expect(scratch.map((event) => [event.pos, event.type]), 'numbered by the module store').toEqual([[1, 'Jotted']]);
    const refused = await firstValueFrom(client.replay('$all')).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'forbidden' });
    expect(String((refused as Error).message)).toContain('scratch (json-lines)');
    await client.close();
    client = undefined;
    expect(await serve.stop()).toBe(0);
    serve = undefined;
    expect(await storedIn(join(project.path, 'events.jsonl')), 'only the routed stream is in the module store').toEqual(['scratch.notes:Jotted']);
  });

  it.skipIf(!rabbitMq)('serves it over AMQP too (--amqp), and announces its kind', async () => {
    const service = `tauon-module-${randomUUID()}`;
    const file = await configFile({ stores: { main: moduleStore }, listen: { port: 0 } });
    serve = await startServe(['--config', file, '--amqp', BROKER, '--service', service], 60_000);
    const ack = await runTauon(['emit', '--url', BROKER, '--service', service, 'over-amqp', 'Sent', '{"by":"amqp"}']);
    expect(ack.stderr).toBe('');
    expect(JSON.parse(ack.stdout)).toMatchObject({ stream: 'over-amqp', seq: 1 });
    client = await connect(wsTransport(serve.url), { reconnect: { enabled: false } });
    const read = await firstValueFrom(client.replay('over-amqp').pipe(toArray()));
    expect(read.map((event) => [event.type, event.data])).toEqual([['Sent', { by: 'amqp' }]]);
    const found = await runTauon(['discover', '--url', BROKER, '--wait', '2500']);
    const announced = found.stdout
      .trim()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { service: string; stores: string[] })
      .find((server) => server.service === service);
    expect(announced?.stores, 'the module store’s kind is announced').toEqual(['json-lines']);
    await client.close();
    client = undefined;
    expect(await serve.stop()).toBe(0);
    serve = undefined;
  });

  it('a module that makes no store stops the server from starting, with the module named', async () => {
    await writeFile(join(project.path, 'not-a-store.mjs'), 'export const createStore = async () => ({ kind: "half", append() {} });\n');
    const file = await configFile({ stores: { main: { kind: 'module', module: './not-a-store.mjs' } }, listen: { port: 0 } });
    const run = await runTauon(['serve', '--config', file], 30_000);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      'tauon serve: internal: the store factory of the store module "./not-a-store.mjs" made something that is not an EventStore: it has no method readStream, readAll,',
    );
  });
});
