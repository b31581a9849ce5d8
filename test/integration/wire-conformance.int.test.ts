import { afterAll, beforeAll, describe } from 'vitest';
import { describeServer } from '../conformance/wire-suite.js';
import { startServer, TRANSPORTS, type RunningServer } from '../support/harness.js';

for (const kind of TRANSPORTS) {
  describe(`reference server over ${kind}`, () => {
    let running: RunningServer;
    beforeAll(async () => {
      running = await startServer(kind, { limits: { maxFrameBytes: 64 * 1024 } });
    });
    afterAll(() => running.close());
    describeServer(kind, {
      connect: () => running.connect(),
      ...(kind === 'ws' ? { webSocketUrl: () => running.transport.description } : {}),
    });
  });
}
