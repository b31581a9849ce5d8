import { Packr, Unpackr, type Options } from 'msgpackr';
import type { Codec } from './codec.js';

// Plain msgpack maps (no msgpackr records) so that any msgpack library can read the frames;
// undefined fields are left out rather than sent as msgpackr's private undefined extension.
// (skipValues is a msgpackr option its type declarations do not list yet.)
const packOptions = { useRecords: false, skipValues: [undefined], variableMapSize: true };
const packr = new Packr(packOptions);
// 64-bit integers (how Python and Go write millisecond times) decode as numbers when they fit
// (int64AsType 'auto' is newer than msgpackr's type declarations).
const unpackOptions = { useRecords: false, mapsAsObjects: true, int64AsType: 'auto' } as unknown as Options;
const unpackr = new Unpackr(unpackOptions);

/** Frames as msgpack maps: the default codec. */
export const msgpackCodec: Codec = {
  name: 'msgpack',
  contentType: 'application/msgpack',
  encode(frame: object): Uint8Array {
    return packr.pack(frame);
  },
  decode(bytes: Uint8Array): unknown {
    return unpackr.unpack(bytes);
  },
};
