import { beforeAll, describe, it } from 'vitest';
import type { WelcomeFrame } from '../../protocol/frames.js';
import { WIRE_CASES } from './cases/index.js';
import { caseName } from './kit/case.js';
import { readWelcome, runCase, unmetNeeds } from './kit/run-cases.js';
import type { ServerUnderTest } from './kit/server-under-test.js';

export { CONFORMANCE_AUTH_PATTERN, type AuthUnderTest, type ServerUnderTest } from './kit/server-under-test.js';

/**
 * The wire conformance kit as a vitest suite: every case of protocol/SPEC.md, raw frames against
 * a running server. Any server, in any language, can run it (or run `tauon conformance URL`).
 * A case that needs what `server` does not offer (tokens, a WebSocket URL) is skipped.
 *
 * @example
 * describeServer('reference server over ws', { connect: () => wsTransport(url).connect() });
 */
export function describeServer(name: string, server: ServerUnderTest): void {
  describe(`wire conformance: ${name}`, () => {
    let welcome: WelcomeFrame;
    beforeAll(async () => {
      welcome = await readWelcome(server);
    });
    for (const testCase of WIRE_CASES) {
      const define = unmetNeeds(testCase, server).length > 0 ? it.skip : it;
      // runCase bounds the case by its own timeout and the server's heartbeat; this is the backstop.
      define(caseName(testCase), () => runCase(testCase, server, welcome), (testCase.timeoutMs ?? 10_000) + 120_000);
    }
  });
}
