import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadFrame } from '../../protocol/frames.js';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';
import { encodedReadPage } from '../../server-reference/encoded-read.js';
import { DEFAULT_LIMITS } from '../../server-reference/limits.js';
import { readPage } from '../../server-reference/queries.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { PostgresStore } from '../../server-reference/stores/postgres/postgres-store.js';
import { POSTGRES_URL, postgresAvailable, TestSchemas } from '../stores/postgres-fixture.js';
import { tempDir } from '../support/temp-dir.js';

// A read answered from the store's encodings must be, decoded, the very page readPage answers:
// same events, same exact `next` (SPEC 6.4.6), wherever it starts and whatever its limit. On
// each store that keeps events as their wire encodings (EventStore.readStreamEncoded).

let data: Awaited<ReturnType<typeof tempDir>>;
const schemas = new TestSchemas();
const stores: [string, EventStore][] = [];

/** 25 events of "cart" in five appends, with another stream's events between them: several runs. */
async function fill(store: EventStore): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const events = (stream: string) => Array.from({ length: 5 }, (_, n) => ({ id: `${stream}-${round}-${n}`, type: 'T', data: { round, n, text: 'é'.repeat(n) } }));
    await store.append([
      { stream: 'cart', events: events('cart'), expected: 'any', dedupe: false },
      { stream: 'other', events: events('other'), expected: 'any', dedupe: false },
    ]);
  }
}

beforeAll(async () => {
  data = await tempDir('encoded-read');
  stores.push(['lmdb', await LmdbStore.open(data.path)]);
  if (await postgresAvailable()) stores.push(['postgres', await PostgresStore.open(POSTGRES_URL, { schema: schemas.fresh() })]);
  for (const [, store] of stores) await fill(store);
});

afterAll(async () => {
  for (const [, store] of stores) await store.close();
  await data.remove();
  await schemas.dropAll();
});

const READS: Omit<ReadFrame, 'type' | 'id'>[] = [
  { stream: 'cart' },
  { stream: 'cart', limit: 10 },
  { stream: 'cart', limit: 24 },
  { stream: 'cart', limit: 25 },
  { stream: 'cart', limit: 26 },
  { stream: 'cart', limit: 1 },
  { stream: 'cart', from: { after: 24 }, limit: 1 },
  { stream: 'cart', from: { after: 23 }, limit: 1 },
  { stream: 'cart', from: { after: 25 } },
  { stream: 'cart', from: { after: 40 } },
  { stream: 'cart', from: { at: 7 }, limit: 5 },
  { stream: 'cart', from: { event: 'cart-2-1' }, limit: 3 },
  { stream: 'cart', from: 'end' },
  { stream: 'cart', from: 'start', direction: 'forward', limit: 1000 },
  { stream: 'nothing-here' },
];

describe('a read answered from stored encodings', () => {
  it('decodes to the page readPage answers', async () => {
    for (const [name, store] of stores) {
      for (const [index, read] of READS.entries()) {
        const frame = { type: 'read', id: index, ...read } as ReadFrame;
        const bytes = await encodedReadPage(store, DEFAULT_LIMITS, frame);
        expect(bytes, `${name}: ${JSON.stringify(read)}`).toBeDefined();
        expect(msgpackCodec.decode(bytes!), `${name}: ${JSON.stringify(read)}`).toEqual(await readPage(store, DEFAULT_LIMITS, frame));
      }
    }
  });

  it('leaves other reads to readPage', async () => {
    const others: Omit<ReadFrame, 'type' | 'id'>[] = [
      { stream: 'cart', direction: 'backward' },
      { stream: 'cart', filter: { types: ['T'] } },
      { stream: 'car*' },
      { stream: '$all' },
    ];
    for (const read of others) expect(await encodedReadPage(stores[0]![1], DEFAULT_LIMITS, { type: 'read', id: 1, ...read })).toBeUndefined();
  });
});
