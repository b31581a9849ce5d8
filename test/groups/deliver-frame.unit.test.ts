import { describe, expect, it } from 'vitest';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';
import { parseServerFrame } from '../../protocol/validate.js';
import { msgpackDeliverFrame } from '../../server-reference/groups/deliver-frame.js';

// A group's deliver frame is spliced from the stored bytes of its events: it must decode to the
// frame the codec would make of the decoded events, however the events lie in their chunks.

function stored(seq: number) {
  return { id: `e${seq}`, type: 'placed', key: `k${seq % 3}`, data: { n: seq, text: 'é'.repeat(seq % 40) }, stream: 'orders', seq, pos: seq + 100, tx: seq, recorded: 1_700_000_000_000 + seq };
}

/** The events' encodings one after the other in one chunk, with where each lies. */
function chunked(events: readonly object[]) {
  const encodings = events.map((event) => msgpackCodec.encode(event));
  const chunk = new Uint8Array(encodings.reduce((size, encoding) => size + encoding.length, 0));
  let at = 0;
  return encodings.map((encoding) => {
    chunk.set(encoding, at);
    const place = { chunk, start: at, end: at + encoding.length };
    at += encoding.length;
    return place;
  });
}

describe('a spliced deliver frame', () => {
  it.each([1, 15, 16, 300, 70_000])('decodes to the frame of %i events, from one chunk and from several', (count) => {
    const events = Array.from({ length: count }, (_, i) => stored(i + 1));
    const deliveries = events.map((_, i) => 1 + (i % 3));
    const oneChunk = chunked(events).map((place, i) => ({ ...place, deliveries: deliveries[i]! }));
    // Each event in a chunk of its own: nothing to copy at once.
    const several = events.map((event, i) => ({ ...chunked([event])[0]!, deliveries: deliveries[i]! }));
    const expected = { type: 'deliver', sub: 7, part: 3, gen: 2, deliveries, events };
    for (const parts of [oneChunk, several]) {
      const decoded = msgpackCodec.decode(msgpackDeliverFrame(7, 3, 2, parts));
      expect(decoded).toEqual(expected);
      expect(parseServerFrame(decoded)).toEqual(expected);
    }
  });

  it('refuses an event whose bytes were let go', () => {
    expect(() => msgpackDeliverFrame(1, 0, 1, [{ chunk: undefined, start: 0, end: 0, deliveries: 1 }])).toThrow(/not read/);
  });
});
