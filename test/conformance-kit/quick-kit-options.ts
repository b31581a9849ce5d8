import type { TauonServerOptions } from '../../server-reference/server.js';

/**
 * Small limits and a short heartbeat for a reference server under the conformance kit: announced
 * in `welcome`, where the kit reads them, they make the cases of limits and keep-alive take
 * milliseconds rather than the defaults' seconds and megabytes. (stores-matrix.int.test.ts runs
 * the kit with the defaults.) `tauon serve` announces the same through its `protocol` section.
 */
export const QUICK_KIT_OPTIONS = {
  heartbeatMs: 400,
  maxConnections: 24,
  limits: { maxFrameBytes: 64 * 1024, maxEventsPerAppend: 100, maxSubscriptions: 16, maxCredit: 1000, maxReadLimit: 100 },
} satisfies Partial<TauonServerOptions>;
