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
  // The frame with an empty list ends with the empty list's encoding (msgpack 0x90, JSON `[]`)
  // and, in JSON, the closing brace: the list's bytes go in their place.
  const head = codec.encode({ type: 'events', sub, events: [] });
  const tail = codec.name === 'json' ? 1 : 0;
  const emptyList = codec.name === 'json' ? 2 : 1;
  const cut = head.length - tail - emptyList;
  const frame = new Uint8Array(cut + list.length + tail);
  frame.set(head.subarray(0, cut), 0);
  frame.set(list, cut);
  if (tail > 0) frame.set(head.subarray(head.length - tail), cut + list.length);
  return frame;
}

/**
 * The msgpack bytes of `{ type: 'events', sub, events }` from `count` events already encoded in
 * msgpack, one after the other in `encodedEvents` (each a map, as a store that keeps the wire
 * encoding hands them out): nothing is decoded or encoded again.
 */
export function msgpackEventsFrameOf(sub: number, count: number, encodedEvents: Uint8Array): Uint8Array {
  const head = msgpackCodec.encode({ type: 'events', sub, events: [] });
  const cut = head.length - 1; // the empty list's 0x90
  const listHeader = count < 16 ? 1 : count < 0x10000 ? 3 : 5;
  const frame = new Uint8Array(cut + listHeader + encodedEvents.length);
  frame.set(head.subarray(0, cut), 0);
  let at = cut;
  if (listHeader === 1) {
    frame[at++] = 0x90 | count;
  } else if (listHeader === 3) {
    frame[at++] = 0xdc;
    frame[at++] = count >>> 8;
    frame[at++] = count & 0xff;
  } else {
    frame[at++] = 0xdd;
    new DataView(frame.buffer).setUint32(at, count);
    at += 4;
  }
  frame.set(encodedEvents, at);
  return frame;
}
