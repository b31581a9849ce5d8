import type { PageFrame, ReadFrame, ServerLimits } from '../protocol/frames.js';
import { frameOfEventParts } from '../protocol/events-frame.js';
import { msgpackCodec } from '../protocol/msgpack-codec.js';
import { PAGE_IN_ONE_PIECE } from './page-in-turns.js';
import { DEFAULT_PAGE_LIMIT } from './queries.js';
import { parseSelector } from './selector.js';
import { resolveForwardCursor } from './start-position.js';
import type { EventStore } from './stores/event-store.js';

/**
 * Answers the most common `read` (one stream, forward, unfiltered: an aggregate's load) for a
 * msgpack client from the store's stored encodings, as replays are: the events go out as they
 * are stored, not decoded and encoded again (that was a fifth of the server's time per command
 * in the command cycle). The answer is the `page` frame readPage would give, encoded; undefined
 * when the read is not of that kind or the store keeps no encodings, for readPage to answer.
 */
export async function encodedReadPage(store: EventStore, limits: ServerLimits, frame: ReadFrame): Promise<Uint8Array | undefined> {
  if (store.readStreamEncoded === undefined || frame.filter !== undefined || (frame.direction ?? 'forward') !== 'forward') return undefined;
  const selector = parseSelector(frame.stream);
  const limit = Math.min(frame.limit ?? DEFAULT_PAGE_LIMIT, limits.maxReadLimit);
  // Larger pages go through readPage, which encodes them in short turns.
  if (selector.kind !== 'stream' || limit > PAGE_IN_ONE_PIECE) return undefined;
  const cursor = await resolveForwardCursor(store, selector, frame.from ?? 'start');
  // One event more than the page takes tells whether the page reached the head (`next` exact, SPEC 6.4.6).
  const read = await store.readStreamEncoded(selector.stream, cursor + 1, limit + 1);
  const count = Math.min(read.positions.length, limit);
  const next = read.positions.length > limit ? { after: read.positions[count - 1]! } : null;
  const bytes = read.bytes.subarray(0, count === 0 ? 0 : read.ends[count - 1]!);
  // `events` last: the encodings go in the empty list's place.
  const empty: Omit<PageFrame, 'events'> & { events: [] } = { type: 'page', id: frame.id, next, events: [] };
  return frameOfEventParts(msgpackCodec, empty, count, [bytes]);
}
