import { Packr, type Options } from 'msgpackr';
import type { StoredEvent } from '../../../protocol/frames.js';
import { unpackPlain } from '../../../protocol/msgpack-codec.js';

/*
 * The `body` column of the PostgreSQL store: the whole stored event as a plain msgpack map, the
 * bytes the wire's msgpack codec makes of it (no msgpackr records, undefined fields left out).
 * msgpack keeps binary data, which JSON would lose, and the order of properties, so an event
 * reads back as the wire's msgpack codec would deliver it, as in the LMDB store.
 * Read back as the codec reads it (unpackPlain: a `__proto__` key of data stays one).
 * (skipValues is a msgpackr option its type declarations do not list.)
 */

const packr = new Packr({ useRecords: false, variableMapSize: true, skipValues: [undefined] } as Options);

/** The column value of a stored event. */
export function encodeEventBody(event: StoredEvent): Buffer {
  return packr.pack(event);
}

/** The stored event a column value holds. */
export function decodeEventBody(body: Uint8Array): StoredEvent {
  return unpackPlain(body) as StoredEvent;
}
