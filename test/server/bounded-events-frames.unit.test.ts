import { describe, expect, it } from 'vitest';
import { codecByName } from '../../protocol/codec.js';
import { encodeEventsFrameOfRuns, type EventRun } from '../../protocol/events-frame.js';
import type { StoredEvent } from '../../protocol/frames.js';
import { splitEventsFrame } from '../../server-reference/bounded-events-frames.js';
import { EVENTS_FRAME_OVERHEAD, eventsWithin } from '../../server-reference/subscription.js';

/** `count` events whose data is a string of `size` characters, numbered from `from`. */
function events(count: number, size: number, from = 1): StoredEvent[] {
  return Array.from({ length: count }, (_, i): StoredEvent => {
    const pos = from + i;
    return { id: `e${pos}`, type: 'T', stream: 's', seq: pos, pos, tx: pos, recorded: 1, data: 'x'.repeat(size) };
  });
}

describe('events frames within maxFrameBytes (SPEC 6.5.4)', () => {
  for (const name of ['msgpack', 'json'] as const) {
    const codec = codecByName(name);

    it(`splits a ${name} frame of several events above the bound into frames within it, in order`, () => {
      const list = events(7, 300);
      const runs: EventRun[] = [
        { events: list, start: 1, end: 4 },
        { events: list, start: 4, end: 7 },
      ];
      const whole = encodeEventsFrameOfRuns(codec, 3, runs);
      const max = 800;
      const frames = splitEventsFrame(codec, 3, runs, whole, max);
      const decoded = frames.map((bytes) => codec.decode(bytes) as { type: string; sub: number; events: StoredEvent[] });
      expect(decoded.flatMap((frame) => frame.events.map((event) => event.seq))).toEqual([2, 3, 4, 5, 6, 7]);
      for (const [i, frame] of decoded.entries()) {
        expect(frame).toMatchObject({ type: 'events', sub: 3 });
        if (frame.events.length > 1) expect(frames[i]!.byteLength).toBeLessThanOrEqual(max);
      }
      expect(frames.length).toBeGreaterThan(1);
    });

    it(`keeps a ${name} frame of one event whole however large`, () => {
      const list = events(1, 5000);
      const runs = [{ events: list, start: 0, end: 1 }];
      const whole = encodeEventsFrameOfRuns(codec, 1, runs);
      expect(splitEventsFrame(codec, 1, runs, whole, 100)).toEqual([whole]);
    });
  }

  it('cuts encoded events so that a frame of several stays within the bound, one at least', () => {
    // Four events of 100 bytes each.
    const ends = [100, 200, 300, 400];
    expect(eventsWithin(ends, 0, 4, 400 + EVENTS_FRAME_OVERHEAD)).toBe(4);
    expect(eventsWithin(ends, 0, 4, 250 + EVENTS_FRAME_OVERHEAD)).toBe(2);
    expect(eventsWithin(ends, 2, 4, 250 + EVENTS_FRAME_OVERHEAD)).toBe(2);
    expect(eventsWithin(ends, 1, 4, 50)).toBe(1);
    expect(eventsWithin(ends, 3, 4, 50)).toBe(1);
  });
});
