import { clientApiSuite } from './suites/client-api.js';
import { startServer, TRANSPORTS } from '../support/harness.js';

for (const kind of TRANSPORTS) clientApiSuite(`over ${kind}, memory store`, () => startServer(kind));
