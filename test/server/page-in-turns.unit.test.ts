import { describe, expect, it } from 'vitest';
import { jsonCodec } from '../../protocol/json-codec.js';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';
import type { PageFrame, StoredEvent } from '../../protocol/frames.js';
import { encodePageInTurns, PAGE_IN_ONE_PIECE } from '../../server-reference/page-in-turns.js';

/** `count` stored events of one stream, each with a key and some data. */
function events(count: number): StoredEvent[] {
  return Array.from({ length: count }, (_, i): StoredEvent => ({
    id: `e${i}`,
    type: 'set',
    stream: 'keyed',
    key: `k${i}`,
    seq: i + 1,
    pos: i + 1,
    tx: i + 1,
    recorded: 1_700_000_000_000 + i,
    data: { n: i, text: `value ${i}`, list: [i, 'é', null] },
  }));
}

describe('encodePageInTurns', () => {
  for (const codec of [msgpackCodec, jsonCodec]) {
    it(`gives the frame codec.encode gives, in ${codec.name}, for pages from empty to many parts`, async () => {
      for (const count of [0, 1, 999, 1000, 1001, PAGE_IN_ONE_PIECE * 2 + 7]) {
        const frame: PageFrame = { type: 'page', id: 7, events: events(count), next: null };
        const bytes = await encodePageInTurns(codec, frame);
        expect(codec.decode(bytes), `${count} events`).toEqual(codec.decode(codec.encode(frame)));
      }
    });
  }

  it('keeps `next` and pauses for other work while it encodes a large page', async () => {
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 1);
    try {
      const frame: PageFrame = { type: 'page', id: 1, events: events(200_000), next: { after: 5 } };
      const decoded = msgpackCodec.decode(await encodePageInTurns(msgpackCodec, frame)) as PageFrame;
      expect(decoded.next).toEqual({ after: 5 });
      expect(decoded.events).toHaveLength(200_000);
      expect(decoded.events[199_999]).toEqual(frame.events[199_999]);
    } finally {
      clearInterval(timer);
    }
    // 200,000 events take far longer than a turn to encode: a timer ran in between.
    expect(ticks).toBeGreaterThan(0);
  });

  it('rejects with what the codec throws for events it cannot carry', async () => {
    const [event] = events(1);
    const frame: PageFrame = { type: 'page', id: 1, events: [{ ...event!, data: { big: 10n ** 20n } }], next: null };
    await expect(encodePageInTurns(jsonCodec, frame)).rejects.toThrow();
  });
});
