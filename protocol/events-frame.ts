import type { Codec, CodecName } from './codec.js';
import type { StoredEvent } from './frames.js';
import { msgpackCodec } from './msgpack-codec.js';

/*
 * One commit delivered to many live subscribers is the same list of events in every `events`
 * frame; only `sub` differs. The list is encoded once per codec and spliced behind each frame's
 * head, so that a hundred subscribers cost one encoding, not a hundred.
 */

/** Encoded event lists, per list and codec, for as long as the list is alive. */
const encodedLists = new WeakMap<readonly StoredEvent[], Partial<Record<CodecName, Uint8Array>>>();

/**
 * The bytes of `{ type: 'events', sub, events }` in `codec`: the same bytes as
 * `codec.encode(frame)` would give, with the event list's encoding shared between calls with
 * the same list. Throws what `codec.encode` throws for events it cannot carry.
 */
export function encodeEventsFrame(codec: Codec, sub: number, events: readonly StoredEvent[]): Uint8Array {
  let byCodec = encodedLists.get(events);
  let list = byCodec?.[codec.name];
  if (list === undefined) {
    list = codec.encode(events);
    if (byCodec === undefined) encodedLists.set(events, (byCodec = {}));
    byCodec[codec.name] = list;
  }
  return frameAround(codec, sub, [list]);
}

/**
 * The msgpack bytes of `{ type: 'events', sub, events }` from `count` events already encoded in
 * msgpack, one after the other in `encodedEvents` (each a map, as a store that keeps the wire
 * encoding hands them out): nothing is decoded or encoded again.
 */
export function msgpackEventsFrameOf(sub: number, count: number, encodedEvents: Uint8Array): Uint8Array {
  return frameAround(msgpackCodec, sub, [msgpackArrayHeader(count), encodedEvents]);
}

/**
 * `{ type: 'events', sub, events }` with the list's encoding given in parts. The frame with an
 * empty list ends with the empty list's encoding (msgpack 0x90, JSON `[]`) and, in JSON, the
 * closing brace: the parts go in the empty list's place.
 */
function frameAround(codec: Codec, sub: number, listParts: readonly Uint8Array[]): Uint8Array {
  const head = codec.encode({ type: 'events', sub, events: [] });
  const tail = codec.name === 'json' ? 1 : 0;
  const cut = head.length - tail - (codec.name === 'json' ? 2 : 1);
  let size = cut + tail;
  for (const part of listParts) size += part.length;
  const frame = new Uint8Array(size);
  frame.set(head.subarray(0, cut), 0);
  let at = cut;
  for (const part of listParts) {
    frame.set(part, at);
    at += part.length;
  }
  if (tail > 0) frame.set(head.subarray(head.length - tail), at);
  return frame;
}

/** The msgpack header of an array of `count` items. */
function msgpackArrayHeader(count: number): Uint8Array {
  if (count < 16) return Uint8Array.of(0x90 | count);
  if (count < 0x10000) return Uint8Array.of(0xdc, count >>> 8, count & 0xff);
  return Uint8Array.of(0xdd, count >>> 24, (count >>> 16) & 0xff, (count >>> 8) & 0xff, count & 0xff);
}
