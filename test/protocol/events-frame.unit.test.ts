import { describe, expect, it } from 'vitest';
import { encodeEventsFrame, encodeEventsFrameOfRuns, msgpackEventsFrameOf } from '../../protocol/events-frame.js';
import type { StoredEvent } from '../../protocol/frames.js';
import { jsonCodec } from '../../protocol/json-codec.js';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';

const events: StoredEvent[] = [
  { id: 'e1', type: 'Placed', stream: 'orders.1', seq: 1, pos: 1, tx: 1, recorded: 1_700_000_000_000, data: { total: 42, note: 'ü' } },
  { id: 'e2', type: 'Paid', key: 'k', stream: 'orders.1', seq: 2, pos: 2, tx: 2, recorded: 1_700_000_000_001, meta: { a: 'b' } },
];

describe('events frames with a shared event list', () => {
  for (const codec of [msgpackCodec, jsonCodec]) {
    it(`are byte for byte what ${codec.name} encodes, for any sub, and the list is encoded once`, () => {
      for (const sub of [0, 1, 127, 128, 65_535, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
        const frame = { type: 'events', sub, events };
        expect(Buffer.from(encodeEventsFrame(codec, sub, events)).toString('hex'), `sub ${sub}`).toBe(Buffer.from(codec.encode(frame)).toString('hex'));
      }
      // Changing an event of the list after the first encoding shows the cache: the same list
      // object is not encoded again.
      const list = [...events];
      const first = encodeEventsFrame(codec, 1, list);
      list[1] = { ...events[1]!, id: 'e3' };
      expect(encodeEventsFrame(codec, 1, list)).toEqual(first);
    });
  }

  for (const codec of [msgpackCodec, jsonCodec]) {
    it(`in ${codec.name}: one frame per list and sub, shared by every subscriber with that sub`, () => {
      const list = [...events];
      const forSubOne = encodeEventsFrame(codec, 1, list);
      // The same bytes object for the next subscriber with sub 1, whichever way it is asked for.
      expect(encodeEventsFrame(codec, 1, list)).toBe(forSubOne);
      expect(encodeEventsFrameOfRuns(codec, 1, [{ events: list, start: 0, end: list.length }])).toBe(forSubOne);
      const forSubTwo = encodeEventsFrame(codec, 2, list);
      expect(codec.decode(forSubTwo)).toEqual({ type: 'events', sub: 2, events });
      expect(codec.decode(forSubOne)).toEqual({ type: 'events', sub: 1, events });
      // Past the frames kept per list, frames are still right, made afresh.
      for (let sub = 3; sub < 40; sub++) expect(codec.decode(encodeEventsFrame(codec, sub, list))).toEqual({ type: 'events', sub, events });
      expect(encodeEventsFrame(codec, 39, list)).not.toBe(encodeEventsFrame(codec, 39, list));
    });
  }

  it('throws what the codec throws for events it cannot carry', () => {
    const big = [{ ...events[0]!, data: 10n ** 30n }] as unknown as StoredEvent[];
    expect(() => encodeEventsFrame(jsonCodec, 1, big)).toThrow();
  });

  it('from events already in msgpack: the same bytes as encoding the frame, for lists of every header size', () => {
    for (const count of [1, 15, 16, 65_535, 65_536]) {
      const list = Array.from({ length: count }, (_, i) => ({ ...events[i % 2]!, seq: i + 1, pos: i + 1 }));
      const expected = msgpackCodec.encode({ type: 'events', sub: 9, events: list });
      const spliced = msgpackEventsFrameOf(9, count, Buffer.concat(list.map((event) => msgpackCodec.encode(event))));
      expect(Buffer.compare(Buffer.from(spliced), Buffer.from(expected)), `${count} events`).toBe(0);
      expect(msgpackCodec.decode(spliced)).toEqual({ type: 'events', sub: 9, events: list });
    }
  });

  for (const codec of [msgpackCodec, jsonCodec]) {
    it(`of runs of shared lists in ${codec.name}: the same bytes as encoding the frame of those events`, () => {
      const list = (from: number, count: number): StoredEvent[] =>
        Array.from({ length: count }, (_, i) => ({ ...events[i % 2]!, id: `e${from + i}`, seq: from + i, pos: from + i }));
      const first = list(1, 20);
      const second = list(21, 3);
      const third = list(24, 16);
      const cases: { runs: { events: StoredEvent[]; start: number; end: number }[]; expected: StoredEvent[] }[] = [
        { runs: [{ events: first, start: 0, end: 20 }], expected: first },
        { runs: [{ events: first, start: 5, end: 12 }], expected: first.slice(5, 12) },
        { runs: [{ events: first, start: 19, end: 20 }, { events: second, start: 0, end: 3 }], expected: [first[19]!, ...second] },
        { runs: [{ events: second, start: 1, end: 3 }, { events: first, start: 0, end: 0 }, { events: third, start: 0, end: 16 }], expected: [...second.slice(1), ...third] },
        { runs: [{ events: first, start: 3, end: 3 }], expected: [] },
      ];
      // Twice: the second time from the shared encodings.
      for (const round of [1, 2]) {
        for (const { runs, expected } of cases) {
          const bytes = encodeEventsFrameOfRuns(codec, 300, runs);
          expect(Buffer.from(bytes).toString('hex'), `round ${round}, ${expected.length} events`).toBe(
            Buffer.from(codec.encode({ type: 'events', sub: 300, events: expected })).toString('hex'),
          );
          expect(codec.decode(bytes)).toEqual({ type: 'events', sub: 300, events: expected });
        }
      }
    });
  }
});
