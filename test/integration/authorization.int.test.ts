import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstValueFrom, toArray } from 'rxjs';
import { connect } from '../../client/index.js';
import { ForbiddenError } from '../../protocol/errors.js';
import type { ServerFrame } from '../../protocol/frames.js';
import { createAuthenticator } from '../../server-reference/auth/create-authenticator.js';
import { createHttpApi } from '../../server-reference/http-api.js';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { listenWs, wsTransport, type WsListener } from '../../transports/ws/index.js';
import { CloseCodes } from '../../transports/transport.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { startServer, TRANSPORTS, type RunningServer } from '../support/harness.js';

const ADMIN = 'admin-token-0123456789abcdef';
/** May read the orders and the prices, and write nothing. */
const READER = 'reader-token-0123456789abcdef';
/** May write the orders, and read nothing. */
const WRITER = 'writer-token-0123456789abcdef';

const authenticator = () =>
  createAuthenticator({
    tokens: [
      { name: 'admin', token: ADMIN, read: ['$all'], write: ['$all'] },
      { name: 'reader', token: READER, read: ['orders.*', 'prices'] },
      { name: 'writer', token: WRITER, write: ['orders.*'] },
    ],
  });

/** Writes the streams every test reads: orders.1 (2 events, keyed), prices (1), secret.1 (1), secret.2 (1). */
async function seed(peer: RawPeer): Promise<void> {
  const writes: [string, object[]][] = [
    ['orders.1', [{ type: 'Placed', key: 'o1' }, { type: 'Paid', key: 'o1' }]],
    ['prices', [{ type: 'Price', key: 'p', data: 3 }]],
    ['secret.1', [{ type: 'Hidden' }]],
    ['secret.2', [{ type: 'Hidden' }]],
  ];
  for (const [stream, events] of writes) {
    const id = peer.id();
    peer.send({ type: 'append', id, stream, events });
    await peer.expect('appended', { id });
  }
}

/** Sends a request and returns its answer (an answer frame or an error naming it). */
async function ask(peer: RawPeer, frame: Record<string, unknown>): Promise<ServerFrame> {
  const id = peer.id();
  peer.send({ ...frame, id });
  return peer.next((answer) => 'id' in answer && answer.id === id);
}

function forbidden(answer: ServerFrame, permission: 'read' | 'write', selector: string): void {
  expect(answer).toMatchObject({ type: 'error', code: 'forbidden', details: { permission, selector } });
  expect(answer.type === 'error' && answer.message).toBe(`no ${permission} permission on "${selector}"`);
}

describe.each(TRANSPORTS)('authorization over %s', (kind) => {
  let running: RunningServer;
  beforeAll(async () => {
    running = await startServer(kind, { authenticate: await authenticator() });
    const admin = await RawPeer.open(() => running.connect(), { token: ADMIN });
    await seed(admin);
    admin.close();
  });
  afterAll(() => running.close());

  const open = (token: string) => RawPeer.open(() => running.connect(), { token });

  it('rejects a hello without a token, or with a token it does not know, and closes 4001', async () => {
    for (const token of [undefined, 'not-a-token-of-this-server']) {
      const peer = new RawPeer(await running.connect());
      peer.send({ type: 'hello', versions: [1], ...(token === undefined ? {} : { token }) });
      const reject = await peer.expect('reject');
      expect(reject.code).toBe('unauthorized');
      expect(reject.message).toBe(token === undefined ? 'this server requires a token' : 'the token was refused');
      expect((await peer.waitClosed()).code).toBe(CloseCodes.handshake);
    }
  });

  it('refuses each frame a reader may not send with forbidden, answers what it may, and stays open', async () => {
    const peer = await open(READER);
    forbidden(await ask(peer, { type: 'append', stream: 'orders.1', events: [{ type: 'X' }] }), 'write', 'orders.1');
    forbidden(await ask(peer, { type: 'invalidate', stream: 'orders.1', tx: 1 }), 'write', 'orders.1');
    forbidden(await ask(peer, { type: 'read', stream: 'secret.1' }), 'read', 'secret.1');
    forbidden(await ask(peer, { type: 'read', stream: '$all' }), 'read', '$all');
    forbidden(await ask(peer, { type: 'surface', stream: 'secret.1' }), 'read', 'secret.1');
    for (const [sub, stream] of [[1, '$all'], [2, 'secret.*'], [3, 'orders'], [4, '*']] as const) {
      peer.send({ type: 'subscribe', sub, stream, mode: 'cold', credit: 10 });
      forbidden(await peer.expect('error', { sub }), 'read', stream);
    }
    const page = await ask(peer, { type: 'read', stream: 'orders.1' });
    expect(page.type === 'page' && page.events.map((event) => event.type)).toEqual(['Placed', 'Paid']);
    const pattern = await ask(peer, { type: 'read', stream: 'orders.*' });
    expect(page.type === 'page' && pattern.type === 'page' && pattern.events.length).toBe(2);
    const surface = await ask(peer, { type: 'surface', stream: 'prices' });
    expect(surface.type === 'page' && surface.events.map((event) => event.data)).toEqual([3]);
    peer.send({ type: 'subscribe', sub: 5, stream: 'orders.*', mode: 'cold', credit: 10 });
    expect((await peer.expect('events', { sub: 5 })).events.map((event) => event.stream)).toEqual(['orders.1', 'orders.1']);
    await peer.expect('complete', { sub: 5 });
    expect((await ask(peer, { type: 'info' })).type).toBe('server-info');
    peer.send({ type: 'ping', nonce: 9 });
    expect((await peer.expect('pong')).nonce).toBe(9);
    expect(peer.closed).toBeUndefined();
    expect(peer.invalid).toEqual([]);
    peer.close();
  });

  it('lets a writer append and invalidate where it may, in order, and read nothing', async () => {
    const peer = await open(WRITER);
    // Pipelined: the refused write is answered in its place in the order.
    const [a, b, c] = [peer.id(), peer.id(), peer.id()];
    peer.send({ type: 'append', id: a, stream: 'orders.w', events: [{ type: 'A' }] });
    peer.send({ type: 'append', id: b, stream: 'secret.1', events: [{ type: 'B' }] });
    peer.send({ type: 'append', id: c, stream: 'orders.w', events: [{ type: 'C' }] });
    const answers = [await peer.next(), await peer.next(), await peer.next()];
    expect(answers.map((answer) => [answer.type, 'id' in answer ? answer.id : undefined])).toEqual([
      ['appended', a],
      ['error', b],
      ['appended', c],
    ]);
    forbidden(answers[1]!, 'write', 'secret.1');
    expect((await ask(peer, { type: 'invalidate', stream: 'orders.w', tx: 1 })).type).toBe('appended');
    forbidden(await ask(peer, { type: 'read', stream: 'orders.w' }), 'read', 'orders.w');
    forbidden(await ask(peer, { type: 'surface', stream: 'orders.w' }), 'read', 'orders.w');
    peer.send({ type: 'subscribe', sub: 1, stream: 'orders.w', mode: 'hot', credit: 10 });
    forbidden(await peer.expect('error', { sub: 1 }), 'read', 'orders.w');
    expect(await ask(peer, { type: 'streams' })).toMatchObject({ type: 'stream-list', streams: [], next: null });
    expect((await ask(peer, { type: 'info' })).type).toBe('server-info');
    peer.close();
  });

  it('lists only the streams a session may read, and pages never name another', async () => {
    const peer = await open(READER);
    const all = await ask(peer, { type: 'streams' });
    if (all.type !== 'stream-list') throw new Error(`expected a stream list, got ${JSON.stringify(all)}`);
    const names = all.streams.map((summary) => summary.stream);
    expect(names).toContain('orders.1');
    expect(names).toContain('prices');
    expect(names.some((name) => name.startsWith('secret'))).toBe(false);
    expect(all.next).toBeNull();
    expect(await ask(peer, { type: 'streams', prefix: 'secret' })).toMatchObject({ streams: [], next: null });
    // One stream a page: every page and every `next` is a readable stream.
    const walked: (string | null)[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const list = await ask(peer, { type: 'streams', limit: 1, ...(after === undefined ? {} : { after }) });
      if (list.type !== 'stream-list') throw new Error('expected a stream list');
      walked.push(...list.streams.map((summary) => summary.stream), list.next);
      if (list.next === null) break;
      after = list.next;
    }
    expect(walked.filter((name) => name !== null && name.startsWith('secret'))).toEqual([]);
    expect(new Set(walked.filter((name) => name !== null))).toEqual(new Set(names));
    peer.close();
  });

  it('fails a client call with a ForbiddenError naming the permission and the selector', async () => {
    const client = await connect(running.transport, { token: READER });
    const emitted = await client.emit('orders.1', { type: 'X' }).catch((error: unknown) => error);
    expect(emitted).toBeInstanceOf(ForbiddenError);
    expect(emitted).toMatchObject({ permission: 'write', selector: 'orders.1' });
    const subscribed = await firstValueFrom(client.replay('$all').pipe(toArray())).catch((error: unknown) => error);
    expect(subscribed).toMatchObject({ code: 'forbidden', permission: 'read', selector: '$all' });
    expect((await firstValueFrom(client.replay('orders.*').pipe(toArray()))).length).toBeGreaterThanOrEqual(2);
    expect(client.status.state).toBe('connected');
    await client.close();
  });
});

describe('authorization in the HTTP API', () => {
  let store: MemoryStore;
  let server: TauonServer;
  let listener: WsListener;
  let base: string;

  beforeAll(async () => {
    store = new MemoryStore();
    server = new TauonServer({ store, authenticate: await authenticator() });
    listener = await listenWs({ onRequest: createHttpApi(server) });
    await server.listen(listener.transport);
    base = listener.url.replace(/^ws/, 'http').replace(/\/$/, '');
    const admin = await RawPeer.open(() => wsTransport(listener.url).connect(), { token: ADMIN });
    await seed(admin);
    admin.close();
  });
  afterAll(async () => {
    await server.close();
    await listener.close();
    await store.close();
  });

  async function call(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('answers /health to anyone, and 401 to every other route without a good token', async () => {
    expect((await call('GET', '/health')).status).toBe(200);
    for (const [method, path] of [
      ['GET', '/info'],
      ['GET', '/streams'],
      ['GET', '/streams/orders.1/events'],
      ['POST', '/streams/orders.1/events'],
      ['GET', '/streams/prices/surface'],
    ] as const) {
      for (const token of [undefined, 'wrong-token-0123456789abcdef']) {
        const answer = await call(method, path, token, method === 'POST' ? { type: 'X' } : undefined);
        expect(answer.status, `${method} ${path} ${token}`).toBe(401);
        expect(answer.body['error']).toMatchObject({ code: 'unauthorized' });
      }
    }
  });

  it('refuses every route without its permission with 403 naming it, and answers it with the permission', async () => {
    const cases: [string, string, unknown, number, number, { permission: string; selector: string } | undefined][] = [
      // method, path, body, status with READER, status with WRITER, what the refused one names
      ['GET', '/info', undefined, 200, 200, undefined],
      ['GET', '/streams/orders.1/events', undefined, 200, 403, { permission: 'read', selector: 'orders.1' }],
      ['GET', '/streams/orders.*/events', undefined, 200, 403, { permission: 'read', selector: 'orders.*' }],
      ['GET', '/streams/$all/events', undefined, 403, 403, { permission: 'read', selector: '$all' }],
      ['GET', '/streams/secret.1/events', undefined, 403, 403, { permission: 'read', selector: 'secret.1' }],
      ['GET', '/streams/prices/surface', undefined, 200, 403, { permission: 'read', selector: 'prices' }],
      ['GET', '/streams/secret.1/surface', undefined, 403, 403, { permission: 'read', selector: 'secret.1' }],
      ['POST', '/streams/orders.http/events', { type: 'Posted' }, 403, 201, { permission: 'write', selector: 'orders.http' }],
      ['POST', '/streams/secret.http/events', { type: 'Posted' }, 403, 403, { permission: 'write', selector: 'secret.http' }],
    ];
    for (const [method, path, body, readerStatus, writerStatus, named] of cases) {
      for (const [token, status] of [
        [READER, readerStatus],
        [WRITER, writerStatus],
      ] as const) {
        const answer = await call(method, path, token, body);
        const label = `${method} ${path} as ${token === READER ? 'reader' : 'writer'}`;
        expect(answer.status, label).toBe(status);
        if (status === 403) expect(answer.body['error'], label).toMatchObject({ code: 'forbidden', details: named });
      }
      const admin = await call(method, path, ADMIN, body);
      expect(admin.status, `${method} ${path} as admin`).toBeLessThan(300);
    }
  });

  it('lists only the streams the token may read', async () => {
    const reader = await call('GET', '/streams', READER);
    const names = (reader.body['streams'] as { stream: string }[]).map((summary) => summary.stream);
    expect(names).toContain('orders.1');
    expect(names).toContain('prices');
    expect(names.filter((name) => name.startsWith('secret'))).toEqual([]);
    expect((await call('GET', '/streams', WRITER)).body).toEqual({ type: 'stream-list', streams: [], next: null });
    const admin = await call('GET', '/streams?prefix=secret', ADMIN);
    expect((admin.body['streams'] as unknown[]).length).toBeGreaterThanOrEqual(2);
  });
});
