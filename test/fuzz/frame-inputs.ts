// The inputs the fuzz targets share: valid frames derived from the schemas, the same frames
// spoiled in structure or in bytes, and bytes that were never a frame.
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { codecByName, type CodecName } from '../../protocol/codec.js';
import { ClientFrame, ServerFrame } from '../../protocol/frames.js';
import { applyBytes, applyStructural, byteMutations, encodeOrSkip, structuralMutations } from './mutations.js';
import { arbitraryOf, type DataShape } from './zod-arbitrary.js';

export const CODECS: readonly CodecName[] = ['msgpack', 'json'];

/** Nesting of the `nest` mutation in the decoder and validator targets: past the depths that overflowed the stack. */
export const DEEP_NEST = 6000;

/** A frame a client may send, as the schemas allow it. */
export function validClientFrame(data?: DataShape): fc.Arbitrary<Record<string, unknown>> {
  return arbitraryOf(ClientFrame, data) as fc.Arbitrary<Record<string, unknown>>;
}

/** A frame a server may send, as the schemas allow it. */
export function validServerFrame(data?: DataShape): fc.Arbitrary<Record<string, unknown>> {
  return arbitraryOf(ServerFrame, data) as fc.Arbitrary<Record<string, unknown>>;
}

/** A valid frame with one to three structural mutations. */
export function mutatedFrame(valid: fc.Arbitrary<unknown>, maxNest: number): fc.Arbitrary<unknown> {
  return fc.tuple(valid, structuralMutations(maxNest)).map(([frame, mutations]) => applyStructural(frame, mutations));
}

/** A valid frame, or one spoiled in structure (most of them: valid frames have targets of their own). */
export function nearFrame(valid: fc.Arbitrary<unknown>, maxNest: number): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 1, arbitrary: valid }, { weight: 3, arbitrary: mutatedFrame(valid, maxNest) });
}

/**
 * A packer with every extension msgpackr has (what a peer using msgpackr with its defaults, or
 * with structuredClone, may send): Sets, Errors, RegExps, typed arrays, large BigInts, undefined.
 */
const extendedPackr = new Packr({ useRecords: false, moreTypes: true, structuredClone: true, useBigIntExtension: true });
const EXTENSION_VALUES: readonly (() => unknown)[] = [
  () => new Set([1, 'a']),
  () => new Error('boom'),
  () => /a+/g,
  () => new Float32Array([1.5]),
  () => 2n ** 70n,
  () => [undefined],
  () => new Map([[{ k: 1 }, 2]]),
];

/** An append whose event data holds one of msgpackr's own extension values, packed with them. */
function extensionAppend(): fc.Arbitrary<Uint8Array> {
  return fc.constantFrom(...EXTENSION_VALUES).map((make) =>
    extendedPackr.pack({ type: 'append', id: 1, stream: 'extensions', events: [{ type: 'T', data: { value: make() } }] }),
  );
}

/**
 * Bytes for a decoder in `codec`: random bytes (in JSON, some that start like an object), the
 * encoding of a valid or mutated frame, or such an encoding with its bytes mutated.
 */
export function frameBytes(codec: CodecName, valid: fc.Arbitrary<unknown>, maxNest: number): fc.Arbitrary<Uint8Array> {
  const encoder = codecByName(codec);
  const encoded = nearFrame(valid, maxNest)
    .map((value) => encodeOrSkip(encoder, value))
    .filter((bytes): bytes is Uint8Array => bytes !== undefined);
  const extensions = codec === 'msgpack' ? [extensionAppend()] : [];
  return fc.oneof(
    ...extensions,
    fc.uint8Array({ maxLength: 64 }),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Uint8Array.of(codec === 'json' ? 0x7b : 0x81, ...bytes)),
    fc.json({ maxDepth: 3 }).map((textValue) => new TextEncoder().encode(textValue)),
    { weight: 3, arbitrary: encoded },
    { weight: 3, arbitrary: fc.tuple(encoded, byteMutations).map(([bytes, mutations]) => applyBytes(bytes, mutations)) },
  );
}
