import { BadFrameError } from '../../protocol/errors.js';
import type { AckFrame, NackFrame } from '../../protocol/frames.js';

/** What is wrong with an `ack` or `nack` its schema allows (SPEC 17.7): an ack of nothing, a nack both retried and parked. */
export function groupFrameProblem(frame: AckFrame | NackFrame): BadFrameError | undefined {
  if (frame.type === 'ack' && frame.pos === undefined && frame.upTo === undefined) return new BadFrameError('bad "ack" frame: it names pos, upTo or both');
  if (frame.type === 'nack' && frame.retryMs !== undefined && frame.park !== undefined) return new BadFrameError('bad "nack" frame: it has retryMs or park, not both');
  return undefined;
}
