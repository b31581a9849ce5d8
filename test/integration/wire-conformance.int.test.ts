import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe } from 'vitest';
import { createAuthenticator } from '../../server-reference/auth/create-authenticator.js';
import { CONFORMANCE_AUTH_PATTERN, describeServer } from '../conformance/wire-suite.js';
import { startServer, TRANSPORTS, type RunningServer } from '../support/harness.js';
import { QUICK_KIT_OPTIONS } from '../conformance-kit/quick-kit-options.js';
import { KIT_COUNTS_PROJECTION } from '../conformance/kit-projection.js';

const ADMIN = 'conformance-admin-token-0123456789';
const READER = 'conformance-reader-token-0123456789';
const WRITER = 'conformance-writer-token-0123456789';
const JWT_SECRET = new TextEncoder().encode('the-conformance-run-jwt-secret-of-32-bytes');

/** A JWT that may do everything and expires 1 to 2 seconds from now. */
function expiring(): Promise<string> {
  return new SignJWT({ exp: Math.floor(Date.now() / 1000) + 2, tauon: { read: ['$all'], write: ['$all'] } })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(JWT_SECRET);
}

// The reference server runs the whole kit locked, with the tokens the authorization cases expect,
// announcing small limits and a short heartbeat so that the kit runs quickly, and running the
// projection the cases of SPEC 18 read.
for (const kind of TRANSPORTS) {
  describe(`reference server over ${kind}`, () => {
    let running: RunningServer;
    beforeAll(async () => {
      const authenticate = await createAuthenticator({
        tokens: [
          { name: 'admin', token: ADMIN, read: ['$all'], write: ['$all'] },
          { name: 'reader', token: READER, read: [CONFORMANCE_AUTH_PATTERN] },
          { name: 'writer', token: WRITER, write: [CONFORMANCE_AUTH_PATTERN] },
        ],
        jwt: { secret: JWT_SECRET },
      });
      running = await startServer(kind, { ...QUICK_KIT_OPTIONS, authenticate, projections: [KIT_COUNTS_PROJECTION] });
    });
    afterAll(() => running.close());
    describeServer(kind, {
      connect: () => running.connect(),
      ...(kind === 'ws' ? { webSocketUrl: () => running.transport.description } : {}),
      token: ADMIN,
      auth: { reader: READER, writer: WRITER, expiring },
      maxConnections: QUICK_KIT_OPTIONS.maxConnections,
    });
  });
}
