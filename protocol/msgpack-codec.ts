import { Packr, Unpackr, type Options } from 'msgpackr';
import type { Codec } from './codec.js';
import { mayHoldProtoKey, plainObjectsOf } from './proto-keys.js';

// Plain msgpack maps (no msgpackr records) so that any msgpack library can read the frames;
// undefined fields are left out rather than sent as msgpackr's private undefined extension.
// (skipValues is a msgpackr option its type declarations do not list yet.)
const packOptions = { useRecords: false, skipValues: [undefined], variableMapSize: true };
const packr = new Packr(packOptions);
// 64-bit integers (how Python and Go write millisecond times) decode as numbers when they fit
// (int64AsType 'auto' is newer than msgpackr's type declarations).
const unpackOptions = { useRecords: false, mapsAsObjects: true, int64AsType: 'auto' } as unknown as Options;
const unpackr = new Unpackr(unpackOptions);
/** Maps as Maps, for the frames that may hold a `__proto__` key (proto-keys.ts). */
const mapUnpackr = new Unpackr({ ...unpackOptions, mapsAsObjects: false });

/**
 * Decodes one msgpack value with plain objects for maps, keeping a `__proto__` key as an own
 * property (msgpackr alone would rename it `__proto_`). Shared by the codec and the stores that
 * keep events as msgpack.
 */
export function unpackPlain(bytes: Uint8Array): unknown {
  return mayHoldProtoKey(bytes) ? plainObjectsOf(mapUnpackr.unpack(bytes)) : unpackr.unpack(bytes);
}

/** Decodes one msgpack value with every map as a Map, whatever its keys (for frames refused for a key that is not a string). */
export function unpackWithMaps(bytes: Uint8Array): unknown {
  return mapUnpackr.unpack(bytes);
}

/** Decodes a sequence of msgpack values as {@link unpackPlain} decodes one. */
export function unpackMultiplePlain(bytes: Uint8Array): unknown[] {
  if (!mayHoldProtoKey(bytes)) return unpackr.unpackMultiple(bytes) as unknown[];
  return (mapUnpackr.unpackMultiple(bytes) as unknown[]).map(plainObjectsOf);
}

/** Frames as msgpack maps: the default codec. */
export const msgpackCodec: Codec = {
  name: 'msgpack',
  contentType: 'application/msgpack',
  encode(frame: object): Uint8Array {
    return packr.pack(frame);
  },
  decode(bytes: Uint8Array): unknown {
    return unpackPlain(bytes);
  },
};
