import { describe, expect, it } from 'vitest';
import { TauonServer } from '../../server-reference/server.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';

/** The store as a plain-JavaScript store module written before identities would hand it over. */
function withoutIdentity(store: EventStore, id: unknown): EventStore {
  return new Proxy(store, { get: (target, property): unknown => (property === 'id' ? id : Reflect.get(target, property)) });
}

describe('TauonServer: the server id and the store identity (SPEC 6.5.1)', () => {
  it('names itself by the store identity unless serverId is given', async () => {
    const store = new MemoryStore();
    const server = new TauonServer({ store });
    expect(server.serverId, 'the default server id is the store identity').toBe(store.id);
    expect(new TauonServer({ store, serverId: 'node-a' }).serverId).toBe('node-a');
    await server.close();
  });

  it('refuses a store without an identity, and a server id that is empty or too long', () => {
    const store = new MemoryStore();
    for (const id of [undefined, '', 'x'.repeat(257), 42]) {
      expect(() => new TauonServer({ store: withoutIdentity(store, id) }), `store id ${JSON.stringify(id)}`).toThrow(/has no identity: EventStore\.id/);
    }
    for (const serverId of ['', 'x'.repeat(257)]) {
      expect(() => new TauonServer({ store, serverId }), `serverId of ${serverId.length}`).toThrow(/serverId must have 1 to 256 characters/);
    }
  });
});
