import type { Codec } from '../protocol/codec.js';
import { encodeEventItems, frameOfEventParts } from '../protocol/events-frame.js';
import type { PageFrame } from '../protocol/frames.js';
import { TurnBudget } from './short-turns.js';

/**
 * A page of more events than this is encoded in short turns: a surface of 100,000 keys is one
 * page, whose encoding in one piece held the event loop ~90 ms. Reads (at most maxReadLimit,
 * 1,000 by default) stay in one piece.
 */
export const PAGE_IN_ONE_PIECE = 2_000;
/** Events encoded at once: well under a turn (TURN_BUDGET_MS) each. */
const PART_EVENTS = 1_000;

/**
 * The bytes of a `page` frame, its events encoded a part at a time, with a pause for the other
 * connections whenever the turn is spent (see short-turns.ts): the same bytes as
 * `codec.encode(frame)` would give but for the order of the frame's fields. Rejects with what
 * the codec throws for events it cannot carry.
 */
export async function encodePageInTurns(codec: Codec, frame: PageFrame): Promise<Uint8Array> {
  const { events, ...rest } = frame;
  const turns = new TurnBudget();
  const parts: Uint8Array[] = [];
  for (let start = 0; start < events.length; start += PART_EVENTS) {
    parts.push(encodeEventItems(codec, events.slice(start, start + PART_EVENTS)));
    await turns.yieldIfSpent();
  }
  return frameOfEventParts(codec, { ...rest, events: [] }, events.length, parts);
}
