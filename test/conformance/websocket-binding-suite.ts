import { describe, it } from 'vitest';
import type { WelcomeFrame } from '../../protocol/frames.js';
import { WEBSOCKET_UPGRADE_CASES } from './cases/websocket.js';
import { caseName } from './kit/case.js';
import { runCase } from './kit/run-cases.js';

export { DISALLOWED_ORIGIN } from './cases/websocket.js';

/** The upgrade cases open no Tauon connection: a welcome of the protocol's defaults (SPEC 8, 9) bounds their time. */
const UPGRADE_WELCOME: WelcomeFrame = {
  type: 'welcome',
  version: 1,
  server: 'upgrade-cases',
  heartbeat: 10_000,
  limits: { maxFrameBytes: 1_048_576, maxEventsPerAppend: 10_000, maxSubscriptions: 1000, maxCredit: 100_000, maxReadLimit: 1000 },
};

/**
 * The cases of the WebSocket binding (protocol/SPEC.md, 15.1) about the upgrade itself, as a
 * vitest suite: a page of an origin the server does not allow is refused with 403 before any
 * frame, a client without an Origin header is not, and a path other than `/` is refused with
 * 404. Run against a server that does not allow every origin. (describeServer runs them too,
 * given the server's WebSocket URL.)
 *
 * @param webSocketUrl The server's WebSocket URL, read once the server runs.
 */
export function describeWebSocketBinding(webSocketUrl: () => string): void {
  describe('WebSocket binding', () => {
    const server = {
      connect: () => Promise.reject(new Error('the upgrade cases open no Tauon connection')),
      webSocketUrl,
    };
    for (const testCase of WEBSOCKET_UPGRADE_CASES) {
      it(caseName(testCase), () => runCase(testCase, server, UPGRADE_WELCOME));
    }
  });
}
