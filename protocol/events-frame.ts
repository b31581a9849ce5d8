import type { Codec, CodecName } from './codec.js';
import type { StoredEvent } from './frames.js';
import { msgpackCodec } from './msgpack-codec.js';

/*
 * One commit delivered to many live subscribers is the same list of events in every `events`
 * frame; only `sub` differs. The list is encoded once per codec and spliced behind each frame's
 * head, so that a hundred subscribers cost one encoding, not a hundred; and subscribers with the
 * same sub share the whole frame. In msgpack, once a run of the list is asked for (a subscriber
 * with less credit than the commit, or one catching up from the middle of it), each event is
 * encoded on its own, so that any run is spliced too.
 */

/** A list's encoding: its items one after the other, and where each ends. */
interface EncodedList {
  /** The items without the list's brackets or header. */
  readonly items: Uint8Array;
  /** msgpack, once a run was asked for: where each item ends in `items`. */
  readonly ends?: readonly number[];
  /** Whole frames of the whole list, by sub (see {@link wholeListFrame}). */
  frames?: Map<number, Uint8Array>;
}

/** Encoded event lists, per list and codec, for as long as the list is alive. */
const encodedLists = new WeakMap<readonly StoredEvent[], Partial<Record<CodecName, EncodedList>>>();

/** Events `start` (inclusive) to `end` (exclusive) of a list whose encoding is shared. */
export interface EventRun {
  readonly events: readonly StoredEvent[];
  readonly start: number;
  readonly end: number;
}

/**
 * The bytes of `{ type: 'events', sub, events }` in `codec`: the same bytes as
 * `codec.encode(frame)` would give, with the event list's encoding shared between calls with
 * the same list. Throws what `codec.encode` throws for events it cannot carry.
 */
export function encodeEventsFrame(codec: Codec, sub: number, events: readonly StoredEvent[]): Uint8Array {
  return encodeEventsFrameOfRuns(codec, sub, [{ events, start: 0, end: events.length }]);
}

/**
 * The bytes of `{ type: 'events', sub, events }` whose events are those of `runs`, one run
 * after the other, spliced from their lists' shared encodings (see {@link encodeEventsFrame}):
 * a subscriber catching up over several commits gets one frame without a new encoding.
 */
export function encodeEventsFrameOfRuns(codec: Codec, sub: number, runs: readonly EventRun[]): Uint8Array {
  const only = runs.length === 1 ? runs[0]! : undefined;
  if (only !== undefined && only.end > 0 && isWholeList(only)) return wholeListFrame(codec, sub, only.events);
  const parts: Uint8Array[] = [];
  let count = 0;
  for (const run of runs) {
    if (run.end <= run.start) continue;
    count += run.end - run.start;
    parts.push(itemsOf(codec, run));
  }
  return frameAround(codec, sub, listOf(codec, count, parts));
}

/** A list of `count` items in `codec`, from their encodings in parts: the header or brackets (and commas) around them. */
function listOf(codec: Codec, count: number, parts: readonly Uint8Array[]): Uint8Array[] {
  if (codec.name === 'msgpack') return [msgpackArrayHeader(count), ...parts];
  const json: Uint8Array[] = [JSON_OPEN];
  for (const part of parts) json.push(...(json.length > 1 ? [JSON_COMMA, part] : [part]));
  json.push(JSON_CLOSE);
  return json;
}

function isWholeList(run: EventRun): boolean {
  return run.start === 0 && run.end === run.events.length;
}

/**
 * The msgpack bytes of `{ type: 'events', sub, events }` from `count` events already encoded in
 * msgpack, one after the other in `encodedEvents` (each a map, as a store that keeps the wire
 * encoding hands them out): nothing is decoded or encoded again.
 */
export function msgpackEventsFrameOf(sub: number, count: number, encodedEvents: Uint8Array): Uint8Array {
  return frameAround(msgpackCodec, sub, listOf(msgpackCodec, count, [encodedEvents]));
}

/**
 * The items of `events` in `codec`, without the list's header or brackets: one part of a list
 * encoded in parts (see {@link frameOfEventParts}).
 */
export function encodeEventItems(codec: Codec, events: readonly StoredEvent[]): Uint8Array {
  return codec.name === 'json' ? jsonItems(codec.encode(events)) : msgpackListItems(codec.encode(events));
}

/**
 * The bytes of a frame whose `events` list of `count` events is given as parts of items (see
 * {@link encodeEventItems}): the same as encoding the whole frame at once, for a server that
 * encodes a large answer a part at a time. `frame` has `events: []` as its last field: the
 * parts go in the empty list's place.
 */
export function frameOfEventParts(codec: Codec, frame: { readonly events: readonly [] }, count: number, parts: readonly Uint8Array[]): Uint8Array {
  const empty = codec.encode(frame);
  const json = codec.name === 'json';
  const tail = json ? 1 : 0;
  const cut = empty.length - tail - (json ? 2 : 1);
  return joined([empty.subarray(0, cut), ...listOf(codec, count, parts), empty.subarray(empty.length - tail)]);
}

function joined(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.length;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

/**
 * The frame of a whole list, made once per list, codec and sub and then shared: every client's
 * first subscription is sub 1, so a commit going out live to many clients is mostly one frame,
 * built once and written to every socket, as a relay would (nothing writes into sent frames).
 * Kept for at most MOST_FRAMES_PER_LIST subs per list, as long as the list is alive.
 */
function wholeListFrame(codec: Codec, sub: number, events: readonly StoredEvent[]): Uint8Array {
  const list = encodedList(codec, events, false);
  let frame = list.frames?.get(sub);
  if (frame === undefined) {
    frame = frameAround(codec, sub, listOf(codec, events.length, [list.items]));
    list.frames ??= new Map();
    if (list.frames.size < MOST_FRAMES_PER_LIST) list.frames.set(sub, frame);
  }
  return frame;
}
const MOST_FRAMES_PER_LIST = 16;

/** The encoded items of a non-empty run. */
function itemsOf(codec: Codec, run: EventRun): Uint8Array {
  if (isWholeList(run)) return encodedList(codec, run.events, false).items;
  // A JSON run is encoded on its own: JSON clients are not the ones a fast path is for.
  if (codec.name === 'json') return jsonItems(codec.encode(run.events.slice(run.start, run.end)));
  const { items, ends } = encodedList(codec, run.events, true);
  return items.subarray(run.start === 0 ? 0 : ends![run.start - 1], ends![run.end - 1]);
}

/** The encoding of `events` in `codec`, made once per list and codec (again once `ends` are needed). */
function encodedList(codec: Codec, events: readonly StoredEvent[], needEnds: boolean): EncodedList {
  let byCodec = encodedLists.get(events);
  let list = byCodec?.[codec.name];
  if (list === undefined || (needEnds && list.ends === undefined)) {
    if (codec.name === 'json') list = { items: jsonItems(codec.encode(events)) };
    else list = needEnds ? msgpackItems(codec, events) : { items: msgpackListItems(codec.encode(events)) };
    if (byCodec === undefined) encodedLists.set(events, (byCodec = {}));
    byCodec[codec.name] = list;
  }
  return list;
}

/** A msgpack array's items: its encoding without the header (1, 3 or 5 bytes by its length). */
function msgpackListItems(list: Uint8Array): Uint8Array {
  const first = list[0]!;
  return list.subarray(first === 0xdc ? 3 : first === 0xdd ? 5 : 1);
}

/** Each event encoded on its own, one after the other in one buffer. */
function msgpackItems(codec: Codec, events: readonly StoredEvent[]): EncodedList {
  const encoded = events.map((event) => codec.encode(event));
  const ends: number[] = [];
  let size = 0;
  for (const item of encoded) ends.push((size += item.length));
  const items = new Uint8Array(size);
  encoded.forEach((item, index) => items.set(item, index === 0 ? 0 : ends[index - 1]));
  return { items, ends };
}

const JSON_OPEN = Uint8Array.of(0x5b); // [
const JSON_COMMA = Uint8Array.of(0x2c); // ,
const JSON_CLOSE = Uint8Array.of(0x5d); // ]

/** A JSON list's items: its text without the brackets. */
function jsonItems(list: Uint8Array): Uint8Array {
  return list.subarray(1, list.length - 1);
}

/**
 * `{ type: 'events', sub, events }` with the list's encoding given in parts. The frame with an
 * empty list ends with the empty list's encoding (msgpack 0x90, JSON `[]`) and, in JSON, the
 * closing brace: the parts go in the empty list's place.
 */
function frameAround(codec: Codec, sub: number, listParts: readonly Uint8Array[]): Uint8Array {
  const { before, after } = frameEnds(codec, sub);
  let size = before.length + after.length;
  for (const part of listParts) size += part.length;
  const frame = new Uint8Array(size);
  frame.set(before, 0);
  let at = before.length;
  for (const part of listParts) {
    frame.set(part, at);
    at += part.length;
  }
  if (after.length > 0) frame.set(after, at);
  return frame;
}

/** An `events` frame's bytes around its list, by codec and sub. */
interface FrameEnds {
  readonly before: Uint8Array;
  readonly after: Uint8Array;
}

/**
 * Made once per codec and sub and kept: a live commit is framed once per subscriber, and
 * encoding the frame's head each time cost a fan-out server as much as a tenth of its time.
 * Subs are a session's small numbers; the cache starts over should it ever hold too many.
 */
const frameEndsBySub: Record<CodecName, Map<number, FrameEnds>> = { msgpack: new Map(), json: new Map() };
const MOST_FRAME_ENDS = 4096;

function frameEnds(codec: Codec, sub: number): FrameEnds {
  const cache = frameEndsBySub[codec.name];
  let ends = cache.get(sub);
  if (ends === undefined) {
    const empty = codec.encode({ type: 'events', sub, events: [] });
    const json = codec.name === 'json';
    const tail = json ? 1 : 0;
    const cut = empty.length - tail - (json ? 2 : 1);
    ends = { before: empty.slice(0, cut), after: empty.slice(empty.length - tail) };
    if (cache.size >= MOST_FRAME_ENDS) cache.clear();
    cache.set(sub, ends);
  }
  return ends;
}

/** The msgpack header of an array of `count` items. */
export function msgpackArrayHeader(count: number): Uint8Array {
  if (count < 16) return Uint8Array.of(0x90 | count);
  if (count < 0x10000) return Uint8Array.of(0xdc, count >>> 8, count & 0xff);
  return Uint8Array.of(0xdd, count >>> 24, (count >>> 16) & 0xff, (count >>> 8) & 0xff, count & 0xff);
}
