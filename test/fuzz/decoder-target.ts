// Target (a): the decoders. Whatever bytes arrive, decoding and validating them either gives a
// frame or throws the protocol's own error (a TauonError with a stable code), never a library's
// SyntaxError, RangeError or TypeError.
import fc from 'fast-check';
import { codecByName } from '../../protocol/codec.js';
import { isErrorCode } from '../../protocol/error-codes.js';
import { TauonError } from '../../protocol/errors.js';
import { ClientFrame, ServerFrame } from '../../protocol/frames.js';
import { decodeFrame, parseClientFrame, parseServerFrame } from '../../protocol/validate.js';
import { CODECS, DEEP_NEST, frameBytes, validClientFrame, validServerFrame } from './frame-inputs.js';

/** The codes a decoder or validator may refuse a frame with. */
const REFUSAL_CODES = new Set(['bad-frame', 'unknown-frame']);

/** Throws unless `error` is the protocol's refusal of a frame. */
export function expectRefusal(error: unknown, what: string): void {
  if (!(error instanceof TauonError)) {
    throw new Error(`${what} threw ${error instanceof Error ? error.name : typeof error}, not a TauonError`, { cause: error });
  }
  if (!isErrorCode(error.code) || !REFUSAL_CODES.has(error.code)) {
    throw new Error(`${what} threw a TauonError with code "${error.code}", not bad-frame or unknown-frame`, { cause: error });
  }
}

/** Decodes and validates `bytes` as both sides would; throws only when a property does not hold. */
export function checkDecoding(codecName: (typeof CODECS)[number], bytes: Uint8Array): void {
  let value: unknown;
  try {
    value = decodeFrame(codecByName(codecName), bytes);
  } catch (error) {
    expectRefusal(error, `decodeFrame(${codecName})`);
    return;
  }
  for (const [side, parse, schema] of [
    ['client', parseClientFrame, ClientFrame],
    ['server', parseServerFrame, ServerFrame],
  ] as const) {
    let frame: unknown;
    try {
      frame = parse(value);
    } catch (error) {
      expectRefusal(error, `parse ${side} frame`);
      continue;
    }
    // What the validator lets through, the schema accepts too.
    if (!schema.safeParse(frame).success) throw new Error(`parse ${side} frame returned a frame its schema refuses`);
  }
}

/** The decoder property: bytes of every kind, in both codecs, from a client or a server. */
export function decoderProperty() {
  const input = fc.constantFrom(...CODECS).chain((codec) =>
    fc.tuple(fc.constant(codec), frameBytes(codec, fc.oneof(validClientFrame(), validServerFrame()), DEEP_NEST)),
  );
  return fc.property(input, ([codec, bytes]) => checkDecoding(codec, bytes));
}
