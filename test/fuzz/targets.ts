// The fuzz targets by name, as `npm run fuzz` and the suite in test/fuzz run them.
import type fc from 'fast-check';
import { decoderProperty } from './decoder-target.js';
import { sessionProperty } from './session-target.js';
import { agreementProperty, validFrameProperty } from './validator-target.js';

export type TargetName = 'decoder' | 'valid-frames' | 'validator-agreement' | 'session';

export const TARGETS: Record<TargetName, () => fc.IRawProperty<unknown>> = {
  /** (a) decodeFrame and both validators on bytes of every kind. */
  decoder: () => decoderProperty(),
  /** (b) valid frames are accepted unchanged and round-trip in both codecs. */
  'valid-frames': () => validFrameProperty(),
  /** (b) the fast checks and the validators agree with zod on valid and mutated frames. */
  'validator-agreement': () => agreementProperty(),
  /** (c) a hostile and a well-behaved client on one server over the memory transport. */
  session: () => sessionProperty(),
};

export function isTargetName(name: string): name is TargetName {
  return Object.hasOwn(TARGETS, name);
}
