// Discovery on a real RabbitMQ: servers announce themselves on a fanout exchange, directories
// list the live ones. Each test uses its own exchange, so that files running in parallel (and
// other tests on the same broker) never see each other's servers. RabbitMQ itself is never
// stopped here: a broker loss is a TCP proxy in front of it cutting the connections.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TauonError } from '../../protocol/errors.js';
import { ServerAnnouncer } from '../../transports/amqp/announcer.js';
import {
  EXPIRY_INTERVALS,
  MAX_DISCOVERY_MESSAGE_BYTES,
  encodeAnnouncement,
  encodeGoodbye,
  parseDiscoveryMessage,
  type ServerAnnouncement,
} from '../../transports/amqp/discovery-announcement.js';
import { ServerDirectory, discoverServers } from '../../transports/amqp/discovery.js';
import { requireService } from '../support/services.js';

const BROKER_URL = 'amqp://guest:guest@127.0.0.1:5672';
const hasRabbit = await requireService('RabbitMQ', 5672);

type Described = Omit<ServerAnnouncement, 'announcedAt' | 'intervalMs'>;

function described(name: string, id = `${name}-${randomUUID()}`): Described {
  return { name, id, service: `svc-${name}`, protocolVersion: 1, versions: [1], stores: ['memory', 'lmdb'] };
}

/** A valid announcement as a server would send it, for raw publishes. */
function announced(name: string, intervalMs: number): ServerAnnouncement {
  return { ...described(name), intervalMs, announcedAt: Date.now() };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds, for at most `timeoutMs`. */
async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

const ids = (servers: readonly ServerAnnouncement[]) => servers.map((server) => server.id);

describe('discovery messages', () => {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value));

  it('reads what the announcer writes, dropping fields it does not know', () => {
    const announcement = announced('alpha', 2000);
    expect(parseDiscoveryMessage(encodeAnnouncement(announcement))).toEqual({ kind: 'announce', announcement });
    expect(parseDiscoveryMessage(encodeGoodbye('x1'))).toEqual({ kind: 'goodbye', id: 'x1' });
    expect(parseDiscoveryMessage(encodeGoodbye('x1', 'p-7'))).toEqual({ kind: 'goodbye', id: 'x1', instance: 'p-7' });
    const withInstance = { ...announcement, instance: 'p-7' };
    expect(parseDiscoveryMessage(encodeAnnouncement(withInstance))).toEqual({ kind: 'announce', announcement: withInstance });
    const later = { kind: 'announce', ...announcement, region: 'eu' };
    expect(parseDiscoveryMessage(encode(later))).toEqual({ kind: 'announce', announcement });
  });

  it('answers undefined, never throws, for anything else', () => {
    const valid = { kind: 'announce', ...announced('alpha', 2000) };
    const bodies = [
      Buffer.from('not json'),
      Buffer.from([0xff, 0xfe, 0x00]),
      encode(null),
      encode([valid]),
      encode({ ...valid, kind: 'hello' }),
      encode({ ...valid, name: '' }),
      encode({ ...valid, intervalMs: 0 }),
      encode({ ...valid, versions: [] }),
      encode({ ...valid, stores: 'lmdb' }),
      encode({ ...valid, announcedAt: -1 }),
      encode({ kind: 'goodbye' }),
      encode({ ...valid, padding: 'x'.repeat(MAX_DISCOVERY_MESSAGE_BYTES) }),
    ];
    for (const body of bodies) expect(parseDiscoveryMessage(body)).toBeUndefined();
  });
});

describe.skipIf(!hasRabbit)('discovery on RabbitMQ', () => {
  let admin: ChannelModel;
  let adminChannel: Channel;
  /** Run after each test, even a failed one: stop announcers, close directories and proxies. */
  const cleanups: (() => Promise<void>)[] = [];
  const exchanges: string[] = [];

  beforeAll(async () => {
    admin = await connect(BROKER_URL);
    adminChannel = await admin.createChannel();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    for (const exchange of exchanges.splice(0)) await adminChannel.deleteExchange(exchange);
  });

  afterAll(async () => {
    await admin?.close();
  });

  function uniqueExchange(): string {
    const exchange = `tauon.discovery.test.${randomUUID()}`;
    exchanges.push(exchange);
    return exchange;
  }

  /** A name for tests that never get as far as declaring their exchange: nothing to delete. */
  function undeclaredExchange(): string {
    return `tauon.discovery.test.${randomUUID()}`;
  }

  function announcer(exchange: string, what: Described, intervalMs: number, url = BROKER_URL): ServerAnnouncer {
    const created = new ServerAnnouncer({
      url,
      exchange,
      intervalMs,
      announcement: () => what,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    cleanups.push(() => created.stop());
    return created;
  }

  /** A directory whose every emission of changes$ is recorded, with the time it came. */
  function directory(exchange: string, url = BROKER_URL) {
    const errors: Error[] = [];
    const created = new ServerDirectory({
      url,
      exchange,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      onError: (error) => errors.push(error),
    });
    const changes: { at: number; servers: ServerAnnouncement[] }[] = [];
    let completed = false;
    created.changes$.subscribe({
      next: (servers) => changes.push({ at: Date.now(), servers }),
      complete: () => (completed = true),
    });
    cleanups.push(() => created.close());
    return { directory: created, changes, errors, completed: () => completed };
  }

  /**
   * A TCP proxy in front of the broker. cut() is the broker lost from where a client stands: the
   * open connections drop and new ones are refused, until restore().
   */
  async function brokerProxy() {
    const sockets = new Set<Socket>();
    let refusing = false;
    const server = createServer((client) => {
      if (refusing) {
        client.destroy();
        return;
      }
      const upstream = createConnection({ host: '127.0.0.1', port: 5672 });
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => sockets.delete(socket));
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const cut = () => {
      refusing = true;
      for (const socket of sockets) socket.destroy();
    };
    cleanups.push(async () => {
      cut();
      await new Promise<void>((closed) => server.close(() => closed()));
    });
    return {
      url: `amqp://guest:guest@127.0.0.1:${port}`,
      cut,
      restore: () => (refusing = false),
    };
  }

  it('discoverServers lists every announcing server with its fields, and only those of its exchange', async () => {
    const exchange = uniqueExchange();
    const alpha = described('alpha');
    const beta = { ...described('beta'), protocolVersion: 2, versions: [2, 1], stores: ['lmdb'] };
    const before = Date.now();
    await announcer(exchange, alpha, 100).start();
    await announcer(exchange, beta, 100).start();
    await announcer(uniqueExchange(), described('elsewhere'), 100).start();

    const servers = await discoverServers(BROKER_URL, { exchange, waitMs: 400 });

    expect(servers).toHaveLength(2);
    const [first, second] = servers;
    expect(first).toMatchObject({ ...alpha, intervalMs: 100 });
    expect(second).toMatchObject({ ...beta, intervalMs: 100 });
    for (const server of servers) {
      expect(server.announcedAt).toBeGreaterThanOrEqual(before);
      expect(server.announcedAt).toBeLessThanOrEqual(Date.now());
    }
  });

  it('drops a server at once when it stops and says goodbye', async () => {
    const exchange = uniqueExchange();
    const { directory: dir } = directory(exchange);
    await dir.start();
    // A minute between announcements: without the goodbye it would stay listed for three.
    const server = announcer(exchange, described('alpha'), 60_000);
    await server.start();
    await waitFor('the server to be listed', () => dir.servers().length === 1);

    await server.stop();

    await waitFor('the goodbye to remove it', () => dir.servers().length === 0, 5_000);
  });

  it('lists servers that share an id (the servers of one store) apart, and a goodbye drops only its own', async () => {
    const exchange = uniqueExchange();
    const { directory: dir } = directory(exchange);
    await dir.start();
    const shared = described('alpha');
    const first = announcer(exchange, shared, 60_000);
    const second = announcer(exchange, shared, 60_000);
    await first.start();
    await second.start();
    await waitFor('both servers to be listed', () => dir.servers().length === 2);
    const instances = dir.servers().map((server) => server.instance);
    expect(new Set(instances).size, 'each announcer names its own instance').toBe(2);
    expect(ids(dir.servers())).toEqual([shared.id, shared.id]);

    await first.stop();

    await waitFor('the goodbye to remove the first only', () => dir.servers().length === 1, 5_000);
    await sleep(200);
    expect(dir.servers()).toHaveLength(1);
  });

  it('changes$ emits the list on each change, in order, and not on mere re-announcements', async () => {
    const exchange = uniqueExchange();
    const { directory: dir, changes, completed } = directory(exchange);
    await dir.start();
    // 250 ms: a stalled test process would have to miss 750 ms of announcements to see a flap.
    const intervalMs = 250;
    const alpha = announcer(exchange, described('alpha', 'a'), intervalMs);
    const beta = announcer(exchange, described('beta', 'b'), intervalMs);

    await alpha.start();
    await waitFor('alpha', () => changes.length === 1);
    await beta.start();
    await waitFor('beta', () => changes.length === 2);
    await sleep(3 * intervalMs); // both announce again, more than once: no change
    await alpha.stop();
    await waitFor('alpha to leave', () => changes.length === 3);
    await beta.stop();
    await waitFor('beta to leave', () => changes.length === 4);
    await dir.close();

    expect(changes.map((change) => ids(change.servers))).toEqual([['a'], ['a', 'b'], ['b'], []]);
    expect(completed()).toBe(true);
    expect(dir.servers()).toEqual([]);
  });

  it('expires a server whose announcements stop without a goodbye, by timer, then lists it again once it reconnects', async () => {
    const exchange = uniqueExchange();
    const proxy = await brokerProxy();
    const { directory: dir, changes } = directory(exchange);
    await dir.start();
    const intervalMs = 200;
    const what = described('alpha');
    await announcer(exchange, what, intervalMs, proxy.url).start();
    await waitFor('the server to be listed', () => dir.servers().length === 1);

    proxy.cut();
    // The last announcement that got through, as the directory saw it before the expiry.
    let lastAnnouncedAt = 0;
    await waitFor('the server to expire', () => {
      const [server] = dir.servers();
      if (server !== undefined) lastAnnouncedAt = server.announcedAt;
      return changes.at(-1)?.servers.length === 0;
    });

    // No message reached the directory since the cut: only its timer can have emitted this.
    const expiredAt = changes.at(-1)!.at;
    // Integer milliseconds on both sides: 1 ms of rounding.
    expect(expiredAt - lastAnnouncedAt).toBeGreaterThanOrEqual(EXPIRY_INTERVALS * intervalMs - 1);
    expect(changes.map((change) => ids(change.servers))).toEqual([[what.id], []]);

    proxy.restore();
    await waitFor('the announcer to reconnect and announce again', () => dir.servers().length === 1);
    expect(dir.servers()[0]).toMatchObject({ ...what, intervalMs });
  });

  it('a directory that loses the broker reconnects and hears the servers again', async () => {
    const exchange = uniqueExchange();
    const proxy = await brokerProxy();
    const { directory: dir, changes } = directory(exchange, proxy.url);
    await dir.start();
    const what = described('alpha');
    await announcer(exchange, what, 200).start();
    await waitFor('the server to be listed', () => dir.servers().length === 1);

    proxy.cut();
    await waitFor('the server to expire while the directory is cut off', () => changes.at(-1)?.servers.length === 0);
    proxy.restore();
    await waitFor('the server to be heard again', () => dir.servers().length === 1);

    const heardAt = dir.servers()[0]!.announcedAt;
    await waitFor('a later announcement', () => (dir.servers()[0]?.announcedAt ?? 0) > heardAt);
    expect(changes.map((change) => ids(change.servers))).toEqual([[what.id], [], [what.id]]);
  });

  it('ignores malformed messages on the exchange and keeps working', async () => {
    const exchange = uniqueExchange();
    const { directory: dir, changes, errors } = directory(exchange);
    await dir.start();
    const valid = { kind: 'announce', ...announced('raw', 60_000) };
    const garbage = [
      Buffer.from('not json'),
      Buffer.alloc(0),
      Buffer.from(JSON.stringify(null)),
      Buffer.from(JSON.stringify({})),
      Buffer.from(JSON.stringify({ ...valid, name: '' })),
      Buffer.from(JSON.stringify({ ...valid, intervalMs: 0 })),
      Buffer.from(JSON.stringify({ ...valid, id: 42 })),
      Buffer.from(JSON.stringify({ kind: 'goodbye' })),
      Buffer.from(JSON.stringify({ ...valid, padding: 'x'.repeat(MAX_DISCOVERY_MESSAGE_BYTES) })),
    ];
    for (const body of garbage) adminChannel.publish(exchange, '', body);
    // The same channel, so the broker delivers it after the garbage.
    adminChannel.publish(exchange, '', Buffer.from(JSON.stringify(valid)));
    await waitFor('the valid announcement', () => dir.servers().length === 1);

    expect(errors).toHaveLength(garbage.length);
    expect(errors.every((error) => error instanceof TauonError && error.code === 'bad-frame')).toBe(true);
    expect(changes.map((change) => ids(change.servers))).toEqual([[valid.id]]);

    // Still listening: a real announcer is heard, and a goodbye still removes the raw one.
    const real = described('real');
    await announcer(exchange, real, 100).start();
    await waitFor('the real server', () => dir.servers().length === 2);
    adminChannel.publish(exchange, '', encodeGoodbye(valid.id));
    await waitFor('the goodbye', () => ids(dir.servers()).join() === real.id);
  });

  it('fails start() clearly, without the password, when the broker cannot be reached', async () => {
    // A port that was free a moment ago and is closed now.
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((closed) => probe.close(() => closed()));
    const url = `amqp://guest:secret@127.0.0.1:${port}`;
    const exchange = undeclaredExchange();

    const failures = [
      announcer(exchange, described('alpha'), 100, url).start(),
      new ServerDirectory({ url, exchange }).start(),
      discoverServers(url, { exchange, waitMs: 10 }),
    ];
    for (const failure of failures) {
      const error: unknown = await failure.then(
        () => undefined,
        (rejected: unknown) => rejected,
      );
      expect(error).toBeInstanceOf(TauonError);
      expect((error as TauonError).code).toBe('closed');
      expect((error as TauonError).message).toContain(`127.0.0.1:${port}`);
      expect((error as TauonError).message).not.toContain('secret');
    }
  });

  it('fails start() with the broker\'s reason when the exchange exists with another type', async () => {
    const exchange = uniqueExchange();
    await adminChannel.assertExchange(exchange, 'topic', { durable: false });

    for (const start of [() => announcer(exchange, described('alpha'), 100).start(), () => directory(exchange).directory.start()]) {
      const error: unknown = await start().then(
        () => undefined,
        (rejected: unknown) => rejected,
      );
      expect(error).toBeInstanceOf(TauonError);
      expect((error as TauonError).code).toBe('closed');
      expect((error as TauonError).message).toContain('406');
    }
  });

  it('refuses a bad announcement before connecting, and a bad interval at construction', async () => {
    const exchange = undeclaredExchange();
    const bad = announcer(exchange, { ...described('alpha'), name: '' }, 100);
    await expect(bad.start()).rejects.toMatchObject({ code: 'bad-frame' });
    const announcement = () => described('alpha');
    expect(() => new ServerAnnouncer({ url: BROKER_URL, exchange, intervalMs: 0, announcement })).toThrow(RangeError);
    expect(() => new ServerAnnouncer({ url: BROKER_URL, exchange, intervalMs: 1.5, announcement })).toThrow(RangeError);
  });

  it('leaves nothing open: a process that announces, discovers and stops exits by itself', async () => {
    const exchange = uniqueExchange();
    const module = (path: string) => JSON.stringify(fileURLToPath(new URL(path, import.meta.url)));
    // No process.exit(): the child ends only when no timer and no socket is left.
    const script = `
      const { ServerAnnouncer } = await import(${module('../../transports/amqp/announcer.ts')});
      const { ServerDirectory, discoverServers } = await import(${module('../../transports/amqp/discovery.ts')});
      const url = ${JSON.stringify(BROKER_URL)};
      const exchange = ${JSON.stringify(exchange)};
      const announcer = new ServerAnnouncer({ url, exchange, intervalMs: 50, announcement: () => (${JSON.stringify(described('child', 'child-1'))}) });
      const directory = new ServerDirectory({ url, exchange });
      await directory.start();
      await announcer.start();
      const found = await discoverServers(url, { exchange, waitMs: 200 });
      await announcer.stop();
      await directory.close();
      console.log(JSON.stringify(found.map((server) => server.id)));
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = await exited;
    clearTimeout(timer);

    expect(signal, `the child was still running after 20 s: something stayed open\n${output}`).toBeNull();
    expect(code, output).toBe(0);
    expect(output.trim()).toBe('["child-1"]');
  });
});
