import { fileURLToPath } from 'node:url';
import { firstValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandHandler, connect } from 'tauon/client';
import { wsTransport } from 'tauon/transports/ws';
import { order } from '../../examples/shop/order.js';
import { shop } from '../../examples/shop/shop.js';
import { loadConfig } from '../../server-reference/config.js';
import { createHttpApi } from '../../server-reference/http-api.js';
import { loadProjectionModules } from '../../server-reference/projections/projection-modules.js';
import { TauonServer } from '../../server-reference/server.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { listenWs } from '../../transports/ws/index.js';
import { sendHttp } from '../support/http-request.js';
import { tempDir } from '../support/temp-dir.js';

const CONFIG = fileURLToPath(new URL('../../examples/shop/tauon.config.json', import.meta.url));
// Noon UTC on a fixed day: the payments' day, whatever the clock says.
const NOW = Date.UTC(2026, 2, 14, 12);

describe('examples/shop (places, pays, ships, and reads the revenue the server projects)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: LmdbStore;
  let server: TauonServer;
  let url: string;
  let stopListening: () => Promise<void>;

  beforeEach(async () => {
    // The projections of the example's own configuration file, loaded as `tauon serve` loads them;
    // the store is a fresh lmdb directory, not the file's.
    const config = await loadConfig(CONFIG);
    const projections = await loadProjectionModules(config.projections ?? []);
    dir = await tempDir('shop');
    store = await LmdbStore.open(dir.path);
    server = new TauonServer({ store, projections });
    const listener = await listenWs({ host: '127.0.0.1', port: 0, onRequest: createHttpApi(server) });
    await server.listen(listener.transport);
    url = listener.url;
    stopListening = () => listener.close();
  });
  afterEach(async () => {
    await server.close();
    await stopListening();
    await store.close();
    await dir.remove();
  });

  it('runs the program against a real server with the projection of tauon.config.json', async () => {
    const lines: string[] = [];
    await shop(url, (line) => lines.push(line), NOW);
    expect(lines).toEqual([
      'placed 3 orders: 30.00, 12.50, 8.00',
      'paid orders 1 and 2',
      'order 3 is not shipped: it is not paid',
      'shipped order 1 by post',
      'shipped order 2 by post',
      'revenue on 2026-03-14: 42.50 from 2 payments',
    ]);

    // The projection over HTTP, every day of it: one day, the two payments.
    const answer = await sendHttp(`${url.replace(/^ws/, 'http').replace(/\/$/, '')}/projections/revenue-per-day`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({
      name: 'revenue-per-day',
      entries: [{ key: '2026-03-14', value: { revenue: 42.5, payments: 2 } }],
      more: false,
      status: 'running',
    });

    // What the store holds: each paid order shipped once, the unpaid one not at all.
    const client = await connect(wsTransport(url));
    try {
      const events = await firstValueFrom(client.replay('order.*').pipe(toArray()));
      expect(events.map((event) => event.type).sort()).toEqual([
        'OrderPaid',
        'OrderPaid',
        'OrderPlaced',
        'OrderPlaced',
        'OrderPlaced',
        'OrderShipped',
        'OrderShipped',
      ]);
      const paidIds = events.filter((event) => event.type === 'OrderPaid').map((event) => `shipped-${event.id}`);
      expect(events.filter((event) => event.type === 'OrderShipped').map((event) => event.id).sort()).toEqual(paidIds.sort());
    } finally {
      await client.close();
    }
  });

  it('ships an order once when two shippers take its OrderPaid at once (a redelivery during a rebalance)', async () => {
    const [first, second] = await Promise.all([connect(wsTransport(url)), connect(wsTransport(url))]);
    try {
      const [one, two] = [commandHandler(first, order), commandHandler(second, order)];
      await one.handle('order.race', { type: 'Place', orderId: 'race', total: 5 });
      const { ack } = await one.handle('order.race', { type: 'Pay', at: NOW });
      const paid = (await first.read('order.race', { from: { at: ack!.seq } })).events[0]!;
      // What the shipper does for the delivery, from two clients at once.
      const ship = { type: 'Ship', carrier: 'post', requestId: paid.id } as const;
      await Promise.all([one.handle('order.race', ship), two.handle('order.race', ship)]);
      const events = await firstValueFrom(first.replay('order.race').pipe(toArray()));
      expect(events.map((event) => event.type)).toEqual(['OrderPlaced', 'OrderPaid', 'OrderShipped']);
      expect(events[2]!.id).toBe(`shipped-${paid.id}`);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});
