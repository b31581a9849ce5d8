import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { RoutingStore } from '../../server-reference/stores/routing/routing-store.js';
import { sampleGroupState, sampleParked } from '../conformance/store-contract-groups.js';
import { tempDir } from '../support/temp-dir.js';
import { outsideProject } from './outside-store/outside-project.js';

// A routing store keeps consumer groups in its fallback store (the one that takes the streams no
// route names), whatever the groups' selectors; the contract's group cases run through a routing
// store in routing-store.int.test.ts.

const project = await outsideProject('json-lines-groups');
const directory = await tempDir('routing-groups');
afterAll(async () => {
  await project.remove();
  await directory.remove();
});

/** A store without groups: the JSON-lines store module of test/stores/outside-store. */
const { default: createJsonLinesStore } = (await import(pathToFileURL(project.storeFile).href)) as {
  default: (options: unknown, context: { name: string; baseDir: string }) => Promise<EventStore>;
};

describe('routing store: consumer groups', () => {
  it("are the fallback's: a group of a selector routed elsewhere is kept in the fallback too", async () => {
    const fallback = await LmdbStore.open(join(directory.path, 'fallback'));
    const routed = await LmdbStore.open(join(directory.path, 'routed'));
    const routing = new RoutingStore({ routes: [{ prefix: 'orders.', store: routed }, { prefix: 'mem.', store: new MemoryStore() }], fallback });
    try {
      expect(routing.groups, "the routing store's groups are the fallback's").toBe(fallback.groups);
      const state = sampleGroupState(4, 1, { stream: 'orders.*' });
      const revision = await routing.groups!.save('orders processors', state, undefined);
      expect(await fallback.groups.load('orders processors'), 'kept in the fallback').toEqual({ state, revision });
      expect(await routed.groups.load('orders processors'), "not in the store of the group's streams").toBeUndefined();
      await routing.groups!.park('orders processors', sampleParked(3, 1));
      expect(await fallback.groups.parked('orders processors', 0, 10), 'parked events too').toEqual([sampleParked(3, 1)]);
    } finally {
      await routing.close();
    }
    await expect(routing.groups!.load('orders processors'), 'closing the routing store closes its groups with the fallback').rejects.toThrow();
  });

  it('are none when the fallback has none, even when a route leads to a store with groups', async () => {
    const withGroups = await LmdbStore.open(join(directory.path, 'with-groups'));
    const fallback = await createJsonLinesStore({ file: 'events.jsonl' }, { name: 'main', baseDir: project.path });
    const routing = new RoutingStore({ routes: [{ prefix: 'x.', store: withGroups }], fallback });
    try {
      expect(fallback.groups, 'the JSON-lines store keeps no groups').toBeUndefined();
      expect(routing.groups, 'no groups: a server on this store serves none').toBeUndefined();
    } finally {
      await routing.close();
    }
  });
});
