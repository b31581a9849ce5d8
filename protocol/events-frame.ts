import type { Codec, CodecName } from './codec.js';
import type { StoredEvent } from './frames.js';

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
