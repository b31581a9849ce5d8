/*
 * msgpackr renames a map key `__proto__` to `__proto_` when it decodes maps to objects (its
 * guard against prototype pollution), which would alter event data. Frames whose bytes hold the
 * text `__proto__` are therefore decoded to Maps instead and turned into plain objects here, with
 * `__proto__` an own data property as JSON.parse makes it (never the prototype). Other frames
 * take msgpackr's fast path. Runtime-neutral.
 */

const UNDERSCORE = 0x5f;
const PROTO = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f]; // "__proto__"

/** True when bytes `0..end` hold the text `__proto__` anywhere (so perhaps as a map key). */
export function mayHoldProtoKey(bytes: Uint8Array, end: number = bytes.length): boolean {
  let at = bytes.indexOf(UNDERSCORE);
  while (at !== -1 && at + PROTO.length <= end) {
    let index = 1;
    while (index < PROTO.length && bytes[at + index] === PROTO[index]) index++;
    if (index === PROTO.length) return true;
    at = bytes.indexOf(UNDERSCORE, at + 1);
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
