// How the fuzzer spoils a valid frame: in its structure (a field removed, retyped, replaced by
// an odd value, an odd key added, a value nested deep) and in its bytes once encoded (bits
// flipped, cut short, bytes inserted, removed or repeated). Every choice is drawn by fast-check,
// so that a failing input shrinks to a small one and replays from its seed.
import fc from 'fast-check';
import type { Codec } from '../../protocol/codec.js';
import { text } from './zod-arbitrary.js';

/** Values a schema does not expect: wrong types, out of range, huge, empty, or of msgpack's own kinds. */
const ODD_VALUES: readonly unknown[] = [
  null, undefined, true, false, 0, -1, 1.5, -0, 2 ** 53, 2 ** 64, -(2 ** 63), 1e308, Number.NaN, Number.POSITIVE_INFINITY,
  '', ' ', '$all', '*', 'a*b', '$x', 'x'.repeat(257), 'x'.repeat(1025), [], [[]], {}, { after: -1 }, { at: 0 },
  { before: 1, after: 1 }, [1, 2, 3], { type: 'T' }, 12345678901234567890n, -1n, new Uint8Array([1, 2, 3]),
  new Date(0), 'any', 'hot', 'start', 'append', 'events',
];
/** Keys a frame does not expect, some of which an unwary object lookup would find anyway. */
const ODD_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', 'type', 'id', 'sub', 'x'.repeat(300), '\u0000', '0'];

/** One change to a frame's structure, applied at the `at`-th node (modulo the node count). */
export type StructuralMutation =
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'replace'; readonly at: number; readonly value: unknown }
  | { readonly kind: 'add-key'; readonly at: number; readonly key: string; readonly value: unknown }
  | { readonly kind: 'swap-type'; readonly at: number }
  | { readonly kind: 'wrap'; readonly at: number }
  | { readonly kind: 'nest'; readonly at: number; readonly depth: number; readonly asMap: boolean };

/** An odd value: one of ODD_VALUES, a random string, a huge or negative number, or a long list. */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ODD_VALUES) },
  text({ maxLength: 40 }),
  fc.double(),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
  fc.array(fc.integer(), { minLength: 0, maxLength: 2000 }).map((list) => (list.length > 1000 ? list : list.slice(0, 3))),
);

/** Structural mutations, with nesting at most `maxNest` deep. */
export function structuralMutations(maxNest: number): fc.Arbitrary<StructuralMutation[]> {
  const at = fc.nat();
  // Mostly shallow, now and then as deep as allowed: deep values are slow to build and encode.
  const depth = fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1, max: Math.min(16, maxNest) }) }, fc.integer({ min: 1, max: maxNest }));
  const mutation: fc.Arbitrary<StructuralMutation> = fc.oneof(
    fc.record({ kind: fc.constant('delete' as const), at }),
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('replace' as const), at, value: oddValue }) },
    fc.record({ kind: fc.constant('add-key' as const), at, key: fc.oneof(fc.constantFrom(...ODD_KEYS), text({ maxLength: 8 })), value: oddValue }),
    fc.record({ kind: fc.constant('swap-type' as const), at }),
    fc.record({ kind: fc.constant('wrap' as const), at }),
    fc.record({ kind: fc.constant('nest' as const), at, depth, asMap: fc.boolean() }),
  );
  return fc.array(mutation, { minLength: 1, maxLength: 3 });
}

/** Where a node sits: its parent and its key there (none for the root). */
interface Node {
  readonly parent: Record<string, unknown> | unknown[] | undefined;
  readonly key: string | number;
  readonly value: unknown;
}

function nodesOf(root: unknown): Node[] {
  const nodes: Node[] = [{ parent: undefined, key: '', value: root }];
  for (let index = 0; index < nodes.length && nodes.length < 500; index += 1) {
    const { value } = nodes[index]!;
    if (Array.isArray(value)) value.forEach((item, key) => nodes.push({ parent: value, key, value: item }));
    else if (isMap(value)) for (const key of Object.keys(value)) nodes.push({ parent: value, key, value: value[key] });
  }
  return nodes;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) && !(value instanceof Date);
}

/** The same value as another type: numbers as strings, strings as numbers, lists as maps and back. */
function swapType(value: unknown): unknown {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value.length;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (Array.isArray(value)) return { ...value };
  if (isMap(value)) return Object.values(value);
  return {};
}

function nest(value: unknown, depth: number, asMap: boolean): unknown {
  let nested = value;
  for (let level = 0; level < depth; level += 1) nested = asMap ? { d: nested } : [nested];
  return nested;
}

/**
 * A copy of `frame` with the mutations applied. Neither the frame nor the mutations' values are
 * changed: values are copied in, since ODD_VALUES and the values fast-check keeps for shrinking
 * are shared, and a later mutation adding a key to a shared map could make a cycle.
 */
export function applyStructural(frame: unknown, mutations: readonly StructuralMutation[]): unknown {
  let root: unknown = structuredClone(frame);
  for (const mutation of mutations) {
    const nodes = nodesOf(root);
    const node = nodes[mutation.at % nodes.length]!;
    const set = (value: unknown): void => {
      if (node.parent === undefined) root = value;
      else if (Array.isArray(node.parent)) node.parent[node.key as number] = value;
      else Object.defineProperty(node.parent, node.key, { value, enumerable: true, writable: true, configurable: true });
    };
    switch (mutation.kind) {
      case 'delete':
        if (Array.isArray(node.parent)) node.parent.splice(node.key as number, 1);
        else if (node.parent !== undefined) delete node.parent[node.key as string];
        break;
      case 'replace':
        set(structuredClone(mutation.value));
        break;
      case 'add-key':
        // defineProperty, so that `__proto__` becomes an own key as a decoder would make it.
        if (isMap(node.value)) {
          Object.defineProperty(node.value, mutation.key, { value: structuredClone(mutation.value), enumerable: true, writable: true, configurable: true });
        }
        break;
      case 'swap-type':
        set(swapType(node.value));
        break;
      case 'wrap':
        set([node.value]);
        break;
      case 'nest':
        set(nest(node.value, mutation.depth, mutation.asMap));
        break;
    }
  }
  return root;
}

/** One change to encoded bytes, at `at` (modulo the length). */
export type ByteMutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'remove'; readonly at: number; readonly length: number }
  | { readonly kind: 'repeat'; readonly at: number; readonly length: number; readonly times: number };

/** Bytes that mean something to a decoder: msgpack's headers of long strings, maps and lists, its unused 0xc1, JSON's punctuation. */
const MEANINGFUL_BYTES = [0x00, 0x7b, 0x7d, 0x5b, 0x5d, 0x22, 0x3a, 0x2c, 0x5c, 0xc1, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xc7, 0xd4, 0xd6, 0xcf, 0xff, 0x80, 0x90, 0xa0];

export const byteMutations: fc.Arbitrary<ByteMutation[]> = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.constantFrom(...MEANINGFUL_BYTES).map((byte) => Uint8Array.of(byte))),
    }),
    fc.record({ kind: fc.constant('remove' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
    fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }), times: fc.integer({ min: 2, max: 50 }) }),
  ),
  { minLength: 1, maxLength: 4 },
);

/** A copy of `bytes` with the mutations applied. */
export function applyBytes(bytes: Uint8Array, mutations: readonly ByteMutation[]): Uint8Array {
  let out: Uint8Array = Uint8Array.from(bytes);
  for (const mutation of mutations) {
    const at = out.length === 0 ? 0 : mutation.at % out.length;
    switch (mutation.kind) {
      case 'flip':
        if (out.length > 0) out[at] = out[at]! ^ (1 << mutation.bit);
        break;
      case 'truncate':
        out = out.slice(0, at);
        break;
      case 'insert':
        out = concat(out.subarray(0, at), mutation.bytes, out.subarray(at));
        break;
      case 'remove':
        out = concat(out.subarray(0, at), out.subarray(at + mutation.length));
        break;
      case 'repeat': {
        const chunk = out.subarray(at, at + mutation.length);
        out = concat(out.subarray(0, at), ...Array.from({ length: mutation.times }, () => chunk), out.subarray(at + mutation.length));
        break;
      }
    }
  }
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((size, part) => size + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * A value's bytes in a codec, or undefined when the codec cannot carry it (JSON and a BigInt):
 * such an input cannot reach a peer through that codec's encoder, and is skipped.
 */
export function encodeOrSkip(codec: Codec, value: unknown): Uint8Array | undefined {
  try {
    return codec.encode(value as object);
  } catch {
    return undefined;
  }
}
