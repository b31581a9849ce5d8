import type { Codec } from '../protocol/codec.js';
import { encodeEventsFrameOfRuns, type EventRun } from '../protocol/events-frame.js';

/**
 * The `events` frames of `runs` (SPEC 6.5.4): one frame, unless it would take more than
 * `maxBytes` and hold more than one event; then the events are split in halves, in order, until
 * each frame fits or holds one event. Frames within the bound, nearly all of them, cost one
 * length check over {@link encodeEventsFrameOfRuns}.
 */
export function eventsFramesWithin(codec: Codec, sub: number, runs: readonly EventRun[], maxBytes: number): Uint8Array[] {
  const frames: Uint8Array[] = [];
  const pending: (readonly EventRun[])[] = [runs];
  // Each split halves the events: at most twice as many encodings as events in all.
  while (pending.length > 0) {
    const part = pending.pop()!;
    const bytes = encodeEventsFrameOfRuns(codec, sub, part);
    const count = countOf(part);
    if (bytes.byteLength <= maxBytes || count <= 1) {
      frames.push(bytes);
      continue;
    }
    const [first, second] = splitRuns(part, Math.floor(count / 2));
    // Last in, first out: the first half is taken next.
    pending.push(second, first);
  }
  return frames;
}

function countOf(runs: readonly EventRun[]): number {
  let count = 0;
  for (const run of runs) count += Math.max(0, run.end - run.start);
  return count;
}

/** The runs of the first `count` events, and those of the rest. */
function splitRuns(runs: readonly EventRun[], count: number): [EventRun[], EventRun[]] {
  const first: EventRun[] = [];
  const second: EventRun[] = [];
  let left = count;
  for (const run of runs) {
    const size = Math.max(0, run.end - run.start);
    if (left >= size) {
      first.push(run);
      left -= size;
    } else if (left === 0) {
      second.push(run);
    } else {
      first.push({ events: run.events, start: run.start, end: run.start + left });
      second.push({ events: run.events, start: run.start + left, end: run.end });
      left = 0;
    }
  }
  return [first, second];
}
