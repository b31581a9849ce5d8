import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { RoutingStore } from '../../server-reference/stores/routing/routing-store.js';
import { sampleRecord } from '../conformance/store-contract-projections.js';
import { tempDir } from '../support/temp-dir.js';
import { outsideProject } from './outside-store/outside-project.js';

// A routing store keeps projections in its fallback store (the one that takes the streams no
// route names), whatever the projections' selectors; the contract's projection cases run through
// a routing store in routing-store.int.test.ts.

const project = await outsideProject('json-lines-projections');
const directory = await tempDir('routing-projections');
afterAll(async () => {
  await project.remove();
  await directory.remove();
});

/** A store without projections: the JSON-lines store module of test/stores/outside-store. */
const { default: createJsonLinesStore } = (await import(pathToFileURL(project.storeFile).href)) as {
  default: (options: unknown, context: { name: string; baseDir: string }) => Promise<EventStore>;
};

describe('routing store: projections', () => {
  it("are the fallback's: a projection of a selector routed elsewhere is kept in the fallback too", async () => {
    const fallback = await LmdbStore.open(join(directory.path, 'fallback'));
    const routed = await LmdbStore.open(join(directory.path, 'routed'));
    const routing = new RoutingStore({ routes: [{ prefix: 'orders.', store: routed }, { prefix: 'mem.', store: new MemoryStore() }], fallback });
    try {
      expect(routing.projections, "the routing store's projections are the fallback's").toBe(fallback.projections);
      expect(await routing.projections!.commit('orders by customer', [{ key: 'c1', value: { total: 3 } }], sampleRecord(1), undefined)).toBe(true);
      expect(await fallback.projections.record('orders by customer'), 'kept in the fallback').toEqual(sampleRecord(1));
      expect(await fallback.projections.get('orders by customer', 'c1'), 'values too').toEqual({ total: 3 });
      expect(await routed.projections.record('orders by customer'), "not in the store of the projection's streams").toBeUndefined();
    } finally {
      await routing.close();
    }
    await expect(routing.projections!.record('orders by customer'), 'closing the routing store closes its projections with the fallback').rejects.toThrow();
  });

  it('are none when the fallback has none, even when a route leads to a store with projections', async () => {
    const withProjections = await LmdbStore.open(join(directory.path, 'with-projections'));
    const fallback = await createJsonLinesStore({ file: 'events.jsonl' }, { name: 'main', baseDir: project.path });
    const routing = new RoutingStore({ routes: [{ prefix: 'x.', store: withProjections }], fallback });
    try {
      expect(fallback.projections, 'the JSON-lines store keeps no projections').toBeUndefined();
      expect(routing.projections, 'no projections: a server on this store runs none').toBeUndefined();
    } finally {
      await routing.close();
    }
  });
});
