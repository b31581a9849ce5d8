import type { Codec } from './codec.js';
import { assertEventsJsonRepresentable } from './json-representable.js';

const encoder = new TextEncoder();
// ignoreBOM: a byte order mark is kept, so that JSON.parse refuses it (SPEC 3: no BOM).
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Frames as UTF-8 JSON text. Event `data` that JSON cannot carry (binary, timestamps, integers
 * beyond 2^53 - 1, from msgpack producers) is refused with `unrepresentable`, never altered.
 * `encode` takes a frame or, for the events-frame splicing, a list of events.
 */
export const jsonCodec: Codec = {
  name: 'json',
  contentType: 'application/json',
  encode(frame: object): Uint8Array {
    if (Array.isArray(frame)) assertEventsJsonRepresentable(frame);
    else {
      const events = (frame as { events?: unknown }).events;
      if (Array.isArray(events)) assertEventsJsonRepresentable(events);
    }
    return encoder.encode(JSON.stringify(frame));
  },
  decode(bytes: Uint8Array): unknown {
    return JSON.parse(decoder.decode(bytes));
  },
};
