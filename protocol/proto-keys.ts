/*
 * msgpackr renames a map key `__proto__` to `__proto_` when it decodes maps to objects (its
 * guard against prototype pollution), which would alter event data. Frames whose bytes hold the
 * text `__proto__` are therefore decoded to Maps instead and turned into plain objects here, with
 * `__proto__` an own data property as JSON.parse makes it (never the prototype). Other frames
 * take msgpackr's fast path. Runtime-neutral.
 */

const UNDERSCORE = 0x5f;
const PROTO = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f]; // "__proto__"

/**
 * True when bytes `0..end` hold the text `__proto__` anywhere (so perhaps as a map key). A plain
 * loop up to `end`: lmdb-js decodes from its 16 MiB shared read buffer, and indexOf on it cost
 * ~150 µs an event (a scan of a million events took minutes).
 */
export function mayHoldProtoKey(bytes: Uint8Array, end: number = bytes.length): boolean {
  const last = Math.min(end, bytes.length) - PROTO.length;
  for (let at = 0; at <= last; at++) {
    if (bytes[at] !== UNDERSCORE || bytes[at + 1] !== UNDERSCORE) continue;
    let index = 2;
    while (index < PROTO.length && bytes[at + index] === PROTO[index]) index++;
    if (index === PROTO.length) return true;
  }
  return false;
}

/**
 * `value` with every Map (as msgpackr decodes maps with `mapsAsObjects: false`) turned into a
 * plain object, keys as strings in their order, `__proto__` included as an own property.
 */
export function plainObjectsOf(value: unknown): unknown {
  if (value instanceof Map) {
    const object: Record<string, unknown> = {};
    for (const [key, item] of value as Map<unknown, unknown>) {
      Object.defineProperty(object, String(key), { value: plainObjectsOf(item), writable: true, enumerable: true, configurable: true });
    }
    return object;
  }
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) value[index] = plainObjectsOf(value[index]);
  }
  return value;
}
