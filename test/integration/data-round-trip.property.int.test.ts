import fc from 'fast-check';
import { firstValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { MAX_DATA_DEPTH } from '../../protocol/data-limits.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { PostgresStore } from '../../server-reference/stores/postgres/postgres-store.js';
import { natsAvailable, TestStores } from '../stores/jetstream-fixture.js';
import { POSTGRES_URL, postgresAvailable, TestSchemas } from '../stores/postgres-fixture.js';
import { startServer, type RunningServer, type TransportKind } from '../support/harness.js';
import { tempDir } from '../support/temp-dir.js';

/*
 * Property: any JSON-compatible value, emitted as event data, comes back from replay and from a
 * read exactly as it was sent (SPEC 4.9), in both codecs, over a real server on the memory and
 * WebSocket transports, from the memory and the lmdb store (and PostgreSQL and JetStream, where
 * they run, over the memory transport). The values include keys JavaScript
 * treats specially (`__proto__`, `constructor`), any Unicode, numbers of every size and
 * nesting up to the depth limit. The one change the codecs make is documented: -0 comes back
 * as 0 (msgpack writes it as the integer 0, JSON as `0`).
 */

const ODD_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', '0', '-1', '1e3', 'é', 'e\u0301', '😀', '\u0000'];

const key = fc.oneof(fc.constantFrom(...ODD_KEYS), fc.string({ unit: 'binary', maxLength: 12 }));
const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('\ud83d\ude00', '\u0000', '\uffff', '\ufffd'));
const number = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 2 ** 53, -(2 ** 53), 2 ** 60, 1e300, 5e-324, Number.MAX_VALUE, Number.MIN_VALUE),
);

/** An object with `__proto__` (or any key) as an own property, as JSON.parse would make it. */
function objectOf(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [name, value] of entries) Object.defineProperty(object, name, { value, writable: true, enumerable: true, configurable: true });
  return object;
}

const { value: jsonValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    number,
    text,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 5 }).map(objectOf),
  ),
}));

/** A value nested `depth` levels (arrays and maps in turn) around a leaf: the deep end of the limit. */
const deepValue = fc
  .tuple(fc.integer({ min: 1, max: MAX_DATA_DEPTH }), jsonValue, key)
  .map(([depth, leaf, name]) => {
    let value: unknown = leaf;
    let levels = typeof leaf === 'object' && leaf !== null ? depthOf(leaf) : 0;
    while (levels < depth) {
      value = levels % 2 === 0 ? [value] : objectOf([[name, value]]);
      levels += 1;
    }
    return levels <= MAX_DATA_DEPTH ? value : leaf;
  });

const data = fc.oneof({ weight: 4, arbitrary: jsonValue }, { weight: 1, arbitrary: deepValue });

/** How deep maps and arrays nest in a value (1 for `{}`). */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const items = Array.isArray(value) ? value : Object.values(value as Record<string, unknown>);
  return 1 + Math.max(0, ...items.map(depthOf));
}

/** What the codecs deliver for a value: the same, with -0 as 0. */
function delivered(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(delivered);
  if (typeof value !== 'object' || value === null) return value;
  return objectOf(Object.entries(value).map(([name, item]) => [name, delivered(item)] as const));
}

/** Own properties all the way down, in order, with each value's prototype: compared exactly. */
function ownShape(value: unknown): unknown {
  if (Array.isArray(value)) return ['array', value.map(ownShape)];
  if (typeof value !== 'object' || value === null) return Object.is(value, -0) ? '-0' : value;
  const prototype = Object.getPrototypeOf(value) === Object.prototype ? 'object' : 'other prototype';
  return [prototype, Object.getOwnPropertyNames(value).map((name) => [name, ownShape((value as Record<string, unknown>)[name])])];
}

const RUNS = 40;

interface StoreKind {
  readonly name: string;
  open(): Promise<{ store: EventStore; close: () => Promise<void> }>;
}

const postgres: StoreKind = {
  name: 'postgres',
  open: async () => {
    const schemas = new TestSchemas();
    const store = await PostgresStore.open(POSTGRES_URL, { schema: schemas.fresh('round_trip') });
    return {
      store,
      close: async () => {
        await store.close();
        await schemas.dropAll();
      },
    };
  },
};

const jetstream: StoreKind = {
  name: 'jetstream',
  open: async () => {
    const stores = new TestStores();
    const store = await stores.open();
    return {
      store,
      close: async () => {
        await store.close();
        await stores.deleteAll();
      },
    };
  },
};

const STORES: readonly StoreKind[] = [
  { name: 'memory', open: () => Promise.resolve({ store: new MemoryStore(), close: () => Promise.resolve() }) },
  {
    name: 'lmdb',
    open: async () => {
      const directory = await tempDir('round-trip');
      const store = await LmdbStore.open(directory.path);
      return {
        store,
        close: async () => {
          await store.close();
          await directory.remove();
        },
      };
    },
  },
  ...((await postgresAvailable()) ? [postgres] : []),
  ...((await natsAvailable()) ? [jetstream] : []),
];

for (const kind of ['memory', 'ws'] as const satisfies readonly TransportKind[]) {
  // The services' stores over one transport: what they keep does not depend on it.
  for (const storeKind of STORES.filter((store) => kind === 'memory' || store.name === 'memory' || store.name === 'lmdb')) {
    describe(`data round trip over ${kind}, ${storeKind.name} store`, () => {
      let running: RunningServer;
      beforeAll(async () => {
        const { store, close } = await storeKind.open();
        running = await startServer(kind, { store, onClose: close });
      });
      afterAll(() => running.close());

      for (const codec of ['msgpack', 'json'] as const) {
        it(`${codec}: emit then replay and read deliver every JSON-compatible value as sent (-0 as 0)`, async () => {
          const client: Client = await connect(running.transport, { codec });
          let run = 0;
          try {
            await fc.assert(
              fc.asyncProperty(data, async (value) => {
                run += 1;
                const stream = `round-trip-${codec}-${run}`;
                await client.emit(stream, { type: 'Sent', data: value });
                const expected = ownShape(delivered(value));
                const [replayed] = await firstValueFrom(client.replay(stream).pipe(toArray()));
                expect(ownShape(replayed?.data)).toEqual(expected);
                const page = await client.read(stream);
                expect(ownShape(page.events[0]?.data)).toEqual(expected);
              }),
              { numRuns: RUNS, interruptAfterTimeLimit: 60_000 },
            );
          } finally {
            await client.close();
          }
        }, 120_000);
      }
    });
  }
}
