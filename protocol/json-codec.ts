import type { Codec } from './codec.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Frames as UTF-8 JSON text. Event `data` must then be JSON-compatible. */
export const jsonCodec: Codec = {
  name: 'json',
  contentType: 'application/json',
  encode(frame: object): Uint8Array {
    return encoder.encode(JSON.stringify(frame));
  },
  decode(bytes: Uint8Array): unknown {
    return JSON.parse(decoder.decode(bytes));
  },
};
