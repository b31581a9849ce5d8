import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';
import type { ClientFrame, ServerFrame } from '../../protocol/frames.js';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { createMemoryPair } from '../../transports/memory/index.js';
import { parseScrape, type Scrape } from './prometheus-text.js';
import { until } from '../support/until.js';

/*
 * A client that stops reading its connection: the memory transport's paused side stands for a
 * socket nobody reads (as in connection-bound.int.test.ts), and the server's end counts what it
 * holds unsent. The subscription then waits for the connection, not for credit.
 */

const BOUND = 64 * 1024;
const EVENTS = 3000;

describe('tauon_subscriptions_paused{reason="connection"}', () => {
  let store: MemoryStore;
  let server: TauonServer;
  beforeEach(async () => {
    store = new MemoryStore();
    server = new TauonServer({ store, maxBufferedBytes: BOUND, heartbeatMs: 600_000 });
    const payload = 'p'.repeat(300);
    for (let start = 0; start < EVENTS; start += 1000) {
      const answer = await server.request({ type: 'append', id: 0, stream: 'load', events: Array.from({ length: 1000 }, (_, n) => ({ type: 'Load', data: { n: start + n, payload } })) });
      expect(answer.type).toBe('appended');
    }
  });
  afterEach(async () => {
    await server.close();
    await store.close();
  });

  const scrape = async (): Promise<Scrape> => parseScrape(await server.metrics!.text());

  it('counts a replay held by a connection that does not read, until it reads again', async () => {
    const [client, serverEnd] = createMemoryPair();
    const frames: ServerFrame[] = [];
    client.onFrame((bytes) => frames.push(msgpackCodec.decode(bytes) as ServerFrame));
    server.accept(serverEnd);
    const send = (frame: ClientFrame): void => client.send(msgpackCodec.encode(frame));
    send({ type: 'hello', versions: [1] });
    await until(() => frames.some((frame) => frame.type === 'welcome'), 'welcome');
    client.pauseReceiving!(true);
    send({ type: 'subscribe', sub: 1, stream: 'load', mode: 'cold', credit: 100_000 });
    await until(async () => (await scrape()).value('tauon_subscriptions_paused', { reason: 'connection' }) === 1, 'paused for the connection');
    const held = await scrape();
    expect(held.value('tauon_subscriptions_paused', { reason: 'credit' })).toBe(0);
    expect(held.value('tauon_connections', { transport: 'direct' })).toBe(1);
    expect(held.value('tauon_events_delivered_total')).toBeLessThan(EVENTS);
    client.pauseReceiving!(false);
    await until(() => frames.some((frame) => frame.type === 'complete'), 'complete');
    const done = await scrape();
    expect(done.value('tauon_subscriptions_paused', { reason: 'connection' })).toBe(0);
    expect(done.value('tauon_subscriptions', { kind: 'subscription' })).toBe(0);
    expect(done.value('tauon_events_delivered_total')).toBe(EVENTS);
    client.close();
  });
});
