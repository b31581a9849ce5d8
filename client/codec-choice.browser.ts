// The client's codecs in a browser build (the "browser" condition of `#client-codec` in
// package.json "imports"): JSON by default, so that msgpackr (about 12 KB gzipped) is in a
// page's bundle only when the page imports `msgpackCodec` and passes it as `codec`.
import { TauonError } from '../protocol/errors.js';
import type { Codec, CodecName } from '../protocol/codec.js';
import { jsonCodec } from '../protocol/json-codec.js';

/** The codec a client uses when `ConnectOptions.codec` is not given: JSON, in a browser build. */
export const DEFAULT_CODEC: Codec = jsonCodec;

/**
 * The codec of a name given as `ConnectOptions.codec`; undefined for a name it does not know.
 * @throws TauonError `unsupported` for `'msgpack'`: naming it cannot bring the codec into a
 *   bundle that was built without it; the page passes the codec object instead.
 */
export function codecNamed(name: CodecName): Codec | undefined {
  if (name === 'json') return jsonCodec;
  if (name === 'msgpack') {
    throw new TauonError(
      'unsupported',
      "codec 'msgpack' by name is not in a browser build: import { msgpackCodec } from 'tauon/protocol' and pass codec: msgpackCodec",
    );
  }
  return undefined;
}
