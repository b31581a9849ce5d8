import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';
import type { StoredEvent } from '../../protocol/frames.js';
import { partitionOfEncoded } from '../../server-reference/groups/encoded-partition.js';
import { partitionOf } from '../../server-reference/groups/partition-of.js';

// A group reads its events encoded and finds their partition in the bytes (SPEC 17.4): it must
// be the partition of the decoded event, whatever the event holds around its key and stream.

const text = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }));
const data = fc.jsonValue({ maxDepth: 4 });
const event = fc.record(
  {
    id: text,
    stream: text,
    seq: fc.nat(),
    pos: fc.nat(),
    tx: fc.nat(),
    recorded: fc.nat(),
    type: text,
    key: text,
    data,
    meta: fc.dictionary(fc.string(), data),
    schema: text,
  },
  { requiredKeys: ['id', 'stream', 'seq', 'pos', 'tx', 'recorded', 'type'] },
);

describe('the partition of an encoded event', () => {
  it('is that of the decoded event, by key, else by stream', () => {
    fc.assert(
      fc.property(event, fc.integer({ min: 1, max: 1024 }), (stored, partitions) => {
        const bytes = msgpackCodec.encode(stored);
        // Inside a larger buffer, as a page holds it.
        const page = new Uint8Array(bytes.length + 7);
        page.set(bytes, 3);
        expect(partitionOfEncoded(page, 3, 3 + bytes.length, partitions)).toBe(partitionOf(stored as StoredEvent, partitions));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads the fields in any order, a data field named like them included', () => {
    const reordered = { data: { key: 'not-this', stream: 'nor-this' }, key: 'k-1', type: 't', stream: 's', id: 'e' };
    const bytes = msgpackCodec.encode(reordered);
    expect(partitionOfEncoded(bytes, 0, bytes.length, 16)).toBe(partitionOf({ key: 'k-1', stream: 's' }, 16));
    const keyless = msgpackCodec.encode({ data: { key: 'not-this' }, stream: 'orders-7' });
    expect(partitionOfEncoded(keyless, 0, keyless.length, 16)).toBe(partitionOf({ stream: 'orders-7' }, 16));
  });

  it('refuses bytes that are not an event', () => {
    const list = msgpackCodec.encode([1, 2]);
    expect(() => partitionOfEncoded(list, 0, list.length, 16)).toThrow(/not a msgpack map/);
    const streamless = msgpackCodec.encode({ id: 'e' });
    expect(() => partitionOfEncoded(streamless, 0, streamless.length, 16)).toThrow(/no stream/);
  });
});
