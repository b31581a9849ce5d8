import type { Codec } from '../protocol/codec.js';
import { encodeEventsFrameOfRuns, type EventRun } from '../protocol/events-frame.js';

/**
 * The `events` frames of `runs` when their one frame, `encoded`, takes more than `maxBytes`
 * (SPEC 6.5.4): the events split in halves, in order, until each frame fits or holds one event.
 * Callers send `encoded` as it is when it fits (nearly always), so that the bound costs the
 * delivery one length check.
 */
export function splitEventsFrame(codec: Codec, sub: number, runs: readonly EventRun[], encoded: Uint8Array, maxBytes: number): Uint8Array[] {
  const frames: Uint8Array[] = [];
  const pending: { runs: readonly EventRun[]; bytes?: Uint8Array }[] = [{ runs, bytes: encoded }];
  // Each split halves the events: at most twice as many encodings as events in all.
  while (pending.length > 0) {
    const part = pending.pop()!;
    const bytes = part.bytes ?? encodeEventsFrameOfRuns(codec, sub, part.runs);
    const count = countOf(part.runs);
    if (bytes.byteLength <= maxBytes || count <= 1) {
      frames.push(bytes);
      continue;
    }
    const [first, second] = splitRuns(part.runs, Math.floor(count / 2));
    // Last in, first out: the first half is taken next.
    pending.push({ runs: second }, { runs: first });
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
