import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpApi } from '../../server-reference/http-api.js';
import type { InternalErrorRecord } from '../../server-reference/internal-errors.js';
import { TauonServer, type TauonServerOptions } from '../../server-reference/server.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { listenWs, wsTransport, type WsListener } from '../../transports/ws/index.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { sendHttp, type HttpAnswer } from '../support/http-request.js';
import { tempDir } from '../support/temp-dir.js';
import { parseScrape, type Scrape } from './prometheus-text.js';

/** A server on `store` with WebSocket and the HTTP API on one loopback port (port 0). */
async function startServer(store: EventStore, options: Omit<TauonServerOptions, 'store'> = {}) {
  const server = new TauonServer({ store, ...options });
  const listener: WsListener = await listenWs({ onRequest: createHttpApi(server) });
  await server.listen(listener.transport);
  const http = listener.url.replace(/^ws/, 'http').replace(/\/$/, '');
  const peers: RawPeer[] = [];
  return {
    server,
    http,
    async peer(token?: string): Promise<RawPeer> {
      const peer = await RawPeer.open(() => wsTransport(listener.url).connect(), token === undefined ? {} : { token });
      peers.push(peer);
      return peer;
    },
    get(path: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
      return sendHttp(`${http}${path}`, { headers });
    },
    async scrape(token?: string): Promise<Scrape> {
      const answer = await sendHttp(`${http}/metrics`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
      expect(answer.status, answer.body).toBe(200);
      expect(answer.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      return parseScrape(answer.body);
    },
    async close(): Promise<void> {
      for (const peer of peers) peer.close();
      await server.close();
      await listener.close();
    },
  };
}

type Running = Awaited<ReturnType<typeof startServer>>;

/** Scrapes until `check` passes (the server hears a close after the client sent it), at most 5 s. */
async function scrapeUntil(running: Running, check: (scrape: Scrape) => boolean): Promise<Scrape> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const scrape = await running.scrape();
    if (check(scrape) || Date.now() > deadline) return scrape;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function append(peer: RawPeer, stream: string, count: number, expected?: number): Promise<string> {
  const id = peer.id();
  peer.send({ type: 'append', id, stream, events: Array.from({ length: count }, (_, n) => ({ type: 'Tick', data: n })), ...(expected === undefined ? {} : { expected }) });
  const answer = await peer.next((frame) => 'id' in frame && frame.id === id);
  return answer.type;
}

describe('GET /metrics after real traffic over WebSocket (lmdb store)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: LmdbStore;
  let running: Running;
  beforeEach(async () => {
    dir = await tempDir('metrics');
    store = await LmdbStore.open(dir.path);
    running = await startServer(store, { behindThreshold: 5 });
  });
  afterEach(async () => {
    await running.close();
    await store.close();
    await dir.remove();
  });

  it('parses as the text format, every metric named tauon_* with its unit, process metrics beside', async () => {
    const scrape = await running.scrape();
    const own = [...scrape.types.keys()].filter((name) => name.startsWith('tauon_'));
    expect(own.length).toBeGreaterThanOrEqual(15);
    for (const name of own) {
      if (scrape.types.get(name) === 'counter') expect(name).toMatch(/_total$/);
      if (scrape.types.get(name) === 'histogram') expect(name).toMatch(/_seconds$/);
    }
    expect(scrape.types.get('process_cpu_seconds_total')).toBe('counter');
    expect(scrape.value('tauon_connections', { transport: 'ws' })).toBe(0);
    expect(scrape.value('tauon_events_appended_total')).toBe(0);
  });

  it('counts connections, appends, deliveries, paused subscriptions and fell-behind as they happen', async () => {
    const writer = await running.peer();
    let scrape = await running.scrape();
    expect(scrape.value('tauon_connections', { transport: 'ws' })).toBe(1);
    expect(scrape.value('tauon_sessions', { transport: 'ws' })).toBe(1);
    expect(scrape.value('tauon_connections_opened_total', { transport: 'ws' })).toBe(1);

    expect(await append(writer, 'orders', 3)).toBe('appended');
    expect(await append(writer, 'orders', 3)).toBe('appended');
    expect(await append(writer, 'refused', 1, 99)).toBe('error');
    scrape = await running.scrape();
    expect(scrape.value('tauon_events_appended_total')).toBe(6);
    expect(scrape.value('tauon_appends_total', { outcome: 'ok' })).toBe(2);
    expect(scrape.value('tauon_appends_total', { outcome: 'error' })).toBe(1);
    // One observation per store call: at least one, at most one per append.
    const calls = scrape.value('tauon_append_duration_seconds_count')!;
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThanOrEqual(3);
    expect(scrape.value('tauon_append_duration_seconds_bucket', { le: '+Inf' })).toBe(calls);
    expect(scrape.value('tauon_store_commit_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(scrape.value('tauon_store_commit_duration_seconds_sum')).toBeGreaterThan(0);

    // A live subscriber with credit to spare reads the history and waits at the head, not paused.
    const reader = await running.peer();
    reader.send({ type: 'subscribe', sub: 1, stream: 'orders', mode: 'hot-cold', credit: 100 });
    let seen = 0;
    while (seen < 6) seen += (await reader.expect('events', { sub: 1 })).events.length;
    await reader.expect('caught-up', { sub: 1 });
    // A cold replay with credit for 2 of the 6 events is paused for credit.
    const slow = await running.peer();
    slow.send({ type: 'subscribe', sub: 1, stream: 'orders', mode: 'cold', credit: 2 });
    expect((await slow.expect('events', { sub: 1 })).events).toHaveLength(2);
    scrape = await running.scrape();
    expect(scrape.value('tauon_connections', { transport: 'ws' })).toBe(3);
    expect(scrape.value('tauon_subscriptions', { kind: 'subscription' })).toBe(2);
    expect(scrape.value('tauon_subscriptions_paused', { reason: 'credit' })).toBe(1);
    expect(scrape.value('tauon_subscriptions_paused', { reason: 'connection' })).toBe(0);
    expect(scrape.value('tauon_events_delivered_total')).toBe(8);
    const frames = scrape.value('tauon_delivery_frames_total')!;
    expect(frames).toBeGreaterThanOrEqual(2);
    expect(frames).toBeLessThanOrEqual(8);

    // The rest of the replay once credit comes: no longer paused.
    slow.send({ type: 'credit', sub: 1, n: 10 });
    await slow.expect('complete', { sub: 1 });
    // A live subscriber without credit left falls behind once the head is past the threshold (5).
    const lagging = await running.peer();
    lagging.send({ type: 'subscribe', sub: 7, stream: 'orders', mode: 'hot', credit: 1 });
    await lagging.expect('caught-up', { sub: 7 });
    expect(await append(writer, 'orders', 10)).toBe('appended');
    await lagging.expect('fell-behind', { sub: 7 });
    await reader.expect('events', { sub: 1 });
    scrape = await scrapeUntil(running, (now) => now.value('tauon_events_delivered_total') === 8 + 4 + 10 + 1);
    expect(scrape.value('tauon_fell_behind_total')).toBe(1);
    expect(scrape.value('tauon_events_appended_total')).toBe(16);
    expect(scrape.value('tauon_events_delivered_total')).toBe(8 + 4 + 10 + 1);
    expect(scrape.value('tauon_subscriptions', { kind: 'subscription' })).toBe(2);
    expect(scrape.value('tauon_subscriptions_paused', { reason: 'credit' })).toBe(1);

    for (const peer of [writer, reader, slow, lagging]) peer.close();
    scrape = await scrapeUntil(running, (now) => now.value('tauon_connections', { transport: 'ws' }) === 0);
    expect(scrape.value('tauon_connections', { transport: 'ws' })).toBe(0);
    expect(scrape.value('tauon_sessions', { transport: 'ws' })).toBe(0);
    expect(scrape.value('tauon_subscriptions', { kind: 'subscription' })).toBe(0);
    expect(scrape.value('tauon_connections_opened_total', { transport: 'ws' })).toBe(4);
    // The scrape itself, and the HTTP appends, are no connections.
    expect(scrape.value('tauon_events_appended_total')).toBe(16);
  });
});

describe('GET /metrics: errors, access and independence', () => {
  const started: Running[] = [];
  const stores: EventStore[] = [];
  const start = async (options: Omit<TauonServerOptions, 'store'> = {}) => {
    const store = new MemoryStore();
    stores.push(store);
    const running = await startServer(store, options);
    started.push(running);
    return running;
  };
  afterEach(async () => {
    for (const running of started.splice(0)) await running.close();
    for (const store of stores.splice(0)) await store.close();
  });

  it('counts a failed store call as a store error and an internal error, once each', async () => {
    const logged: InternalErrorRecord[] = [];
    const running = await start({ errorLog: (record) => logged.push(record) });
    const peer = await running.peer();
    expect(await append(peer, 'orders', 2)).toBe('appended');
    // The store closes under the server: its appends fail, as a store whose disk is gone.
    await stores[0]!.close();
    expect(await append(peer, 'orders', 2)).toBe('error');
    const scrape = await running.scrape();
    expect(scrape.value('tauon_store_errors_total', { operation: 'append' })).toBe(1);
    expect(scrape.value('tauon_internal_errors_total')).toBe(logged.length);
    expect(scrape.value('tauon_appends_total', { outcome: 'error' })).toBe(1);
    expect(scrape.value('tauon_events_appended_total')).toBe(2);
  });

  it('two servers in one process keep counts of their own', async () => {
    const first = await start();
    const second = await start();
    const peer = await first.peer();
    expect(await append(peer, 'a', 5)).toBe('appended');
    expect((await first.scrape()).value('tauon_events_appended_total')).toBe(5);
    expect((await second.scrape()).value('tauon_events_appended_total')).toBe(0);
    expect((await second.scrape()).value('tauon_connections', { transport: 'ws' })).toBe(0);
  });

  it('on a server that authenticates, needs a token it admits (as GET /info does)', async () => {
    const running = await start({ authenticate: (token) => (token === 'admin' ? true : token === 'reader' ? { read: ['orders.*'] } : false) });
    const without = await running.get('/metrics');
    expect(without.status).toBe(401);
    expect(JSON.parse(without.body)).toMatchObject({ error: { code: 'unauthorized' } });
    const wrong = await running.get('/metrics', { authorization: 'Bearer nobody' });
    expect(wrong.status).toBe(401);
    expect((await running.scrape('admin')).value('tauon_connections', { transport: 'ws' })).toBe(0);
    expect((await running.scrape('reader')).value('tauon_events_appended_total')).toBe(0);
  });

  it('keeps the doors of the HTTP API: another origin is refused, a rebound Host too', async () => {
    const running = await start();
    const page = await running.get('/metrics', { origin: 'https://evil.example' });
    expect(page.status).toBe(403);
    const rebound = await running.get('/metrics', { host: 'evil.example' });
    expect(rebound.status).toBe(421);
    expect((await running.get('/metrics')).status).toBe(200);
  });

  it('answers 404 not-found when metrics are off, and other methods are no route', async () => {
    const off = await start({ metrics: false });
    expect(off.server.metrics).toBeUndefined();
    const answer = await off.get('/metrics');
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'not-found' } });
    const on = await start();
    const posted = await sendHttp(`${on.http}/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(posted.status).toBe(404);
  });

  it('names no stream, whatever streams clients write', async () => {
    const running = await start();
    const peer = await running.peer();
    for (const stream of ['hostile-1', 'hostile-2', 'hostile-3']) expect(await append(peer, stream, 1)).toBe('appended');
    const text = (await running.get('/metrics')).body;
    expect(text).not.toContain('hostile');
  });
});
