import { z } from 'zod';
import type { TauonServerOptions } from './server.js';

const whole = (min: number, why = `must be at least ${min}`) => z.number().int('must be a whole number').min(min, why);

/**
 * The `protocol` section of a configuration: what the server announces in `welcome` (its
 * heartbeat and limits, SPEC 8 and 9) and the `fell-behind` threshold. The defaults suit
 * production; small values make a conformance run quick (docs/testing.md), since the kit reads
 * the limits and the heartbeat from `welcome`.
 */
export const ProtocolSpecSchema = z.strictObject({
  /** The keep-alive interval announced in `welcome` (TauonServerOptions.heartbeatMs). */
  heartbeatMs: whole(50, 'must be at least 50 (ms)').max(3_600_000, 'must be at most 3600000 (one hour)').optional(),
  /** The limits announced in `welcome` and enforced (TauonServerOptions.limits); each left out keeps its default. */
  limits: z
    .strictObject({
      maxFrameBytes: whole(1024, 'must be at least 1024').optional(),
      maxEventsPerAppend: whole(1).optional(),
      maxSubscriptions: whole(1).optional(),
      maxCredit: whole(1).optional(),
      maxReadLimit: whole(1).optional(),
    })
    .optional(),
  /** A live subscription this many positions behind the head is told `fell-behind` (TauonServerOptions.behindThreshold). */
  fellBehindThreshold: whole(1).optional(),
});

/** The `protocol` section of a configuration. */
export type ProtocolSpec = z.infer<typeof ProtocolSpecSchema>;

/** The TauonServer options of a `protocol` section (none for what it leaves out). */
export function protocolOptions(spec: ProtocolSpec | undefined): Pick<TauonServerOptions, 'heartbeatMs' | 'limits' | 'behindThreshold'> {
  if (spec === undefined) return {};
  return {
    ...(spec.heartbeatMs === undefined ? {} : { heartbeatMs: spec.heartbeatMs }),
    ...(spec.limits === undefined ? {} : { limits: spec.limits }),
    ...(spec.fellBehindThreshold === undefined ? {} : { behindThreshold: spec.fellBehindThreshold }),
  };
}
