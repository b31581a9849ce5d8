import { describe, expect, it } from 'vitest';
import { describeEventStore } from '../conformance/index.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';

describeEventStore('memory', () => Promise.resolve(new MemoryStore()), { densePositions: true });

describe('memory store', () => {
  it('stores copies: changing appended data afterwards does not change the stored event', async () => {
    const store = new MemoryStore();
    const data = { items: ['a'] };
    await store.append([{ stream: 's', events: [{ id: 'e1', type: 'T', data }], expected: 'any', dedupe: false }]);
    data.items.push('b');
    expect((await store.findEvent('e1'))?.data, 'the stored data is a copy').toEqual({ items: ['a'] });
  });

  it('rejects a call whose data cannot be copied, writing nothing', async () => {
    const store = new MemoryStore();
    const append = store.append([
      { stream: 's', events: [{ id: 'ok', type: 'T' }], expected: 'any', dedupe: false },
      { stream: 't', events: [{ id: 'bad', type: 'T', data: { f: () => 1 } }], expected: 'any', dedupe: false },
    ]);
    await expect(append, 'an internal error').rejects.toMatchObject({ code: 'internal' });
    expect(await store.headPosition(), 'nothing written').toBe(0);
  });
});
