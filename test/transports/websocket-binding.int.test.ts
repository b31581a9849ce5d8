import { afterAll, beforeAll } from 'vitest';
import { describeWebSocketBinding } from '../conformance/index.js';
import { startServer, type RunningServer } from '../support/harness.js';

// describeWebSocketBinding is public API (tauon/conformance): its upgrade cases, run with vitest.
let running: RunningServer;
beforeAll(async () => {
  running = await startServer('ws');
});
afterAll(() => running.close());

describeWebSocketBinding(() => running.transport.description);
