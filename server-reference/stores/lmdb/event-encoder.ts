import { Packr, Unpackr, type Options, type UnpackOptions } from 'msgpackr';
import { mayHoldProtoKeyBefore, plainObjectsOf } from '../../../protocol/proto-keys.js';

/**
 * The msgpackr encoder lmdb-js builds for the `events` table (`encoder: { Encoder }`, made with
 * the table's options): msgpackr's own, except that a value whose bytes may hold a `__proto__`
 * key is read through Maps, so that the key comes back as an own property of the data instead
 * of msgpackr's `__proto_` (protocol/proto-keys.ts).
 */
export class EventEncoder extends Packr {
  readonly #maps: Unpackr;

  // lmdb-js drops the table's other encoder options when given a class (it keeps copyBuffers and
  // a few more): the plain-map options of the wire (VALUE_ENCODER of lmdb-store.ts) are set here.
  constructor(options: Options) {
    const plain = { ...options, useRecords: false, variableMapSize: true, skipValues: [undefined] } as Options;
    super(plain);
    this.#maps = new Unpackr({ ...plain, mapsAsObjects: false });
  }

  // lmdb-js passes the end of the value as a number (it reads from a shared buffer, whose
  // `length` it sets to the value's: an end taken from elsewhere would be the buffer's).
  override unpack(source: Uint8Array, options?: UnpackOptions | number): unknown {
    const end = typeof options === 'number' ? options : (options?.end ?? source.length);
    if (mayHoldProtoKeyBefore(source, end)) return plainObjectsOf(this.#maps.unpack(source, options));
    return super.unpack(source, options);
  }

  override decode(source: Uint8Array, options?: UnpackOptions | number): unknown {
    return this.unpack(source, options);
  }
}
