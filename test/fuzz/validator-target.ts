// Target (b): the validators. A valid frame is accepted as the schema gives it; on any near-frame
// the fast checks (fast-*-check.ts) and parseClientFrame/parseServerFrame agree with zod (a
// differential test: fast path against schema); refusals are the protocol's own errors; and a
// valid frame comes back the same through encode and decode in both codecs.
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { codecByName, type CodecName } from '../../protocol/codec.js';
import { isPlainAckFrame } from '../../protocol/fast-ack-check.js';
import { isPlainAppendFrame } from '../../protocol/fast-append-check.js';
import { isPlainAppendedFrame } from '../../protocol/fast-appended-check.js';
import { isPlainDeliverFrame, isPlainEventsFrame } from '../../protocol/fast-events-check.js';
import { ClientFrame, ServerFrame } from '../../protocol/frames.js';
import { decodeFrame, parseClientFrame, parseServerFrame } from '../../protocol/validate.js';
import type * as z from 'zod/mini';
import { expectRefusal } from './decoder-target.js';
import { CODECS, DEEP_NEST, nearFrame, validClientFrame, validServerFrame } from './frame-inputs.js';

type Side = 'client' | 'server';

interface SideChecks {
  readonly schema: z.ZodMiniType;
  readonly parse: (value: unknown) => unknown;
  /** The fast checks that let a frame skip the schema. */
  readonly fast: readonly ((value: unknown) => boolean)[];
}

const SIDES: Record<Side, SideChecks> = {
  client: { schema: ClientFrame, parse: parseClientFrame, fast: [isPlainAppendFrame, isPlainAckFrame] },
  server: { schema: ServerFrame, parse: parseServerFrame, fast: [isPlainEventsFrame, isPlainAppendedFrame, isPlainDeliverFrame] },
};

/**
 * Equal as frames: the same types, prototypes and values all the way down (numbers by
 * Object.is, bytes by content whether Buffer or Uint8Array), keys whose value is undefined counting as absent (neither codec
 * carries them). Iterative: frames nested thousands deep must not overflow the checker's stack.
 */
export function sameFrame(a: unknown, b: unknown): boolean {
  const pending: [unknown, unknown][] = [[a, b]];
  for (let pair = pending.pop(); pair !== undefined; pair = pending.pop()) {
    const [left, right] = pair;
    if (typeof left !== 'object' || left === null || typeof right !== 'object' || right === null) {
      if (!Object.is(left, right)) return false;
      continue;
    }
    // Bytes are bytes: msgpackr gives a Buffer or a plain Uint8Array by what it decoded from.
    if (left instanceof Uint8Array && right instanceof Uint8Array) {
      if (!Buffer.from(left.buffer, left.byteOffset, left.byteLength).equals(right)) return false;
      continue;
    }
    if (Object.getPrototypeOf(left) !== Object.getPrototypeOf(right)) return false;
    if (ArrayBuffer.isView(left) || left instanceof Date) {
      if (!isDeepStrictEqual(left, right)) return false;
      continue;
    }
    const leftKeys = definedKeys(left);
    const rightKeys = definedKeys(right);
    if (leftKeys.length !== rightKeys.length) return false;
    for (const key of leftKeys) {
      if (!Object.hasOwn(right, key)) return false;
      pending.push([(left as Record<string, unknown>)[key], (right as Record<string, unknown>)[key]]);
    }
  }
  return true;
}

function definedKeys(value: object): string[] {
  return Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] !== undefined);
}

/** The differential check of one value on one side: fast checks and parse against zod. */
export function checkAgreement(side: Side, value: unknown): void {
  const { schema, parse, fast } = SIDES[side];
  const byZod = schema.safeParse(value);
  for (const check of fast) {
    if (!check(value)) continue;
    if (!byZod.success) throw new Error(`${check.name} accepted a ${side} frame the schema refuses: ${byZod.error.issues[0]?.message}`);
    if (!sameFrame(byZod.data, value)) throw new Error(`${check.name} accepted a ${side} frame the schema would change`);
  }
  let parsed: unknown;
  try {
    parsed = parse(value);
  } catch (error) {
    expectRefusal(error, `parse ${side} frame`);
    if (byZod.success) throw new Error(`parse ${side} frame refused a frame the schema accepts`, { cause: error });
    return;
  }
  if (!byZod.success) throw new Error(`parse ${side} frame accepted a frame the schema refuses: ${byZod.error.issues[0]?.message}`);
  if (!sameFrame(parsed, byZod.data)) throw new Error(`parse ${side} frame answered otherwise than the schema`);
}

/** A valid frame is accepted, and comes back the same through encode, decode and parse in `codec`. */
export function checkValidFrame(side: Side, codecName: CodecName, frame: unknown): void {
  const { parse } = SIDES[side];
  const accepted = parse(frame);
  if (!sameFrame(accepted, frame)) throw new Error(`parse ${side} frame changed a valid frame`);
  const codec = codecByName(codecName);
  const back = parse(decodeFrame(codec, codec.encode(frame as object)));
  if (!sameFrame(back, frame)) throw new Error(`a valid ${side} frame did not round-trip through ${codecName}`);
}

const side = fc.constantFrom<Side>('client', 'server');
const validOf = (which: Side) => (which === 'client' ? validClientFrame() : validServerFrame());

/** Valid frames of either side are accepted and round-trip in both codecs. */
export function validFrameProperty() {
  const input = side.chain((which) => fc.tuple(fc.constant(which), fc.constantFrom(...CODECS), validOf(which)));
  return fc.property(input, ([which, codec, frame]) => checkValidFrame(which, codec, frame));
}

/** Fast checks and validators agree with zod on valid and mutated frames of either side. */
export function agreementProperty() {
  const input = side.chain((which) => fc.tuple(fc.constant(which), nearFrame(validOf(which), DEEP_NEST)));
  return fc.property(input, ([which, value]) => {
    checkAgreement(which, value);
    // And with the other side's checks: a server frame sent to a server is refused as zod refuses it.
    checkAgreement(which === 'client' ? 'server' : 'client', value);
  });
}
