// Run by the consumer project's own vitest (copied there as a *.test.ts file by
// test/package/installed-package.int.test.ts): the store contract of tauon/conformance against
// the memory store, and a round trip through a server of the installed package.
import { expect, it } from 'vitest';
import { describeEventStore } from 'tauon/conformance';
import { MemoryStore } from 'tauon/server';
import { roundTrip } from './uses-every-export.js';

describeEventStore('memory store, from the installed package', () => Promise.resolve(new MemoryStore()), { densePositions: true });

it('emits and reads back through a server and a client of the installed package', async () => {
  const events = await roundTrip();
  expect(events.map((event) => [event.stream, event.seq, event.type, event.data])).toEqual([['orders', 1, 'OrderPlaced', { total: 42 }]]);
});
