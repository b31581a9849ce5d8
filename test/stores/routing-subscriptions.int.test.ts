import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstValueFrom, toArray } from 'rxjs';
import { connect, type Client, type FeedItem, type SubscribeOptions } from '../../client/index.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { RoutingStore } from '../../server-reference/stores/routing/routing-store.js';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryServerTransport, memoryTransport } from '../../transports/memory/index.js';
import { until as waitUntil } from '../support/until.js';

/** The shared wait, with this file's time limit. */
const until = (done: () => boolean, what: string, timeoutMs = 2_000): Promise<void> => waitUntil(done, what, timeoutMs);

/** `event@pos` for events, `caught-up@at` for the signal. */
function describeItem(item: FeedItem): string {
  return item.kind === 'event' ? `${item.event.type}@${item.event.pos}` : `${item.kind}@${item.at}`;
}

// The engine follows a pattern with the head of the store under it (headPosition(prefix)), and
// takes no fast path across commits of different stores: each store numbers its own positions.
describe('pattern subscriptions inside one route, behind a reference server', () => {
  let routing: RoutingStore;
  let server: TauonServer;
  let client: Client;

  beforeEach(async () => {
    routing = new RoutingStore({ routes: [{ prefix: 'orders.', store: new MemoryStore() }], fallback: new MemoryStore() });
    server = new TauonServer({ store: routing });
    const listener = new MemoryServerTransport();
    await server.listen(listener);
    client = await connect(memoryTransport(listener));
  });
  afterEach(async () => {
    await client.close();
    await server.close();
    await routing.close();
  });

  /** Follows `orders.*` and resolves once it said caught-up; `items` collects what came. */
  async function follow(options: SubscribeOptions): Promise<string[]> {
    const items: string[] = [];
    client.feed('orders.*', options).subscribe((item) => items.push(describeItem(item)));
    await until(() => items.some((item) => item.startsWith('caught-up')), 'the subscription reaches the head');
    return items;
  }

  it('catches up and follows a pattern whose store is behind the fallback', async () => {
    await client.emit('users.1', Array.from({ length: 10 }, () => ({ type: 'U' })));
    await client.emit('orders.1', [{ type: 'O1' }, { type: 'O2' }]);
    const items = await follow({ mode: 'hot-cold' });
    await client.emit('orders.2', { type: 'O3' });
    await client.emit('users.1', { type: 'U' });
    await client.emit('orders.1', { type: 'O4' });
    await until(() => items.length >= 5, 'five items');
    expect(items).toEqual(['O1@1', 'O2@2', 'caught-up@2', 'O3@3', 'O4@4']);
  });

  it('starts a live pattern at its own store’s head', async () => {
    await client.emit('users.1', Array.from({ length: 10 }, () => ({ type: 'U' })));
    await client.emit('orders.1', { type: 'O1' });
    const items = await follow({ mode: 'hot' });
    await client.emit('orders.1', { type: 'O2' });
    await client.emit('users.1', { type: 'U' });
    await client.emit('orders.2', { type: 'O3' });
    await until(() => items.length >= 3, 'three items');
    expect(items).toEqual(['caught-up@1', 'O2@2', 'O3@3']);
  });

  it('does not move a pattern’s cursor on another store’s commit', async () => {
    await client.emit('orders.1', Array.from({ length: 3 }, () => ({ type: 'O' })));
    const items = await follow({ from: { after: 3 }, prefetch: 1 });
    // The fallback's positions run ahead of the orders store's; with credit 1 the next orders
    // commit (two events) is read back from the store at the subscription's cursor.
    await client.emit('users.1', Array.from({ length: 20 }, () => ({ type: 'U' })));
    await client.emit('orders.1', [{ type: 'O4' }, { type: 'O5' }]);
    await until(() => items.length >= 3, 'three items');
    expect(items).toEqual(['caught-up@3', 'O4@4', 'O5@5']);
  });

  it('replays a pattern up to its own store’s head, not the fallback’s', async () => {
    await client.emit('orders.1', { type: 'O1' });
    await client.emit('users.1', { type: 'U' });
    await client.emit('orders.2', [{ type: 'O2' }, { type: 'O3' }]);
    const events = await firstValueFrom(client.replay('orders.*').pipe(toArray()));
    expect(events.map((e) => `${e.type}@${e.pos}`)).toEqual(['O1@1', 'O2@2', 'O3@3']);
  });

  it('refuses a live $all, naming the stores', async () => {
    const refused = await firstValueFrom(client.subscribe('$all', { mode: 'hot' })).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'forbidden' });
    expect((refused as Error).message).toContain('cannot follow "$all"');
  });
});
