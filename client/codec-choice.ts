// The client's codecs in Node (and wherever the "browser" condition is not set): msgpack by
// default, both by name. Chosen over codec-choice.browser.ts through package.json "imports"
// (`#client-codec`), so that a browser bundle does not carry msgpackr unless the page asks.
import type { Codec, CodecName } from '../protocol/codec.js';
import { jsonCodec } from '../protocol/json-codec.js';
import { msgpackCodec } from '../protocol/msgpack-codec.js';

/** The codec a client uses when `ConnectOptions.codec` is not given: msgpack. */
export const DEFAULT_CODEC: Codec = msgpackCodec;

/** The codec of a name given as `ConnectOptions.codec`; undefined for a name it does not know. */
export function codecNamed(name: CodecName): Codec | undefined {
  if (name === 'msgpack') return msgpackCodec;
  if (name === 'json') return jsonCodec;
  return undefined;
}
