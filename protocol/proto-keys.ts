/*
 * msgpackr renames a map key `__proto__` to `__proto_` when it decodes maps to objects (its
 * guard against prototype pollution), which would alter event data. Frames whose bytes hold the
 * text `__proto__` are therefore decoded to Maps instead and turned into plain objects here, with
 * `__proto__` an own data property as JSON.parse makes it (never the prototype). Other frames
 * take msgpackr's fast path. Runtime-neutral.
 */

const UNDERSCORE = 0x5f;
const PROTO = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f]; // "__proto__"

/** True when `bytes` hold the text `__proto__` anywhere (so perhaps as a map key): indexOf, native. */
export function mayHoldProtoKey(bytes: Uint8Array): boolean {
  let at = bytes.indexOf(UNDERSCORE);
  while (at !== -1) {
    if (protoAt(bytes, at)) return true;
    at = bytes.indexOf(UNDERSCORE, at + 1);
  }
  return false;
}

/**
 * {@link mayHoldProtoKey} for a value that ends at `end` inside a longer buffer: lmdb-js decodes
 * from its 16 MiB shared read buffer, whose `length` it sets to the value's size, which indexOf
 * does not heed: it searched all 16 MiB for every event (~150 µs; a scan of a million events
 * took minutes). A loop that stops at `end`.
 */
export function mayHoldProtoKeyBefore(bytes: Uint8Array, end: number): boolean {
  const last = end - PROTO.length;
  for (let at = 0; at <= last; at++) if (bytes[at] === UNDERSCORE && protoAt(bytes, at)) return true;
  return false;
}

/** True when `__proto__` starts at `at` (bytes past the end read as undefined: no match). */
function protoAt(bytes: Uint8Array, at: number): boolean {
  let index = 1;
  while (index < PROTO.length && bytes[at + index] === PROTO[index]) index++;
  return index === PROTO.length;
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
