import { resumeSuite } from './suites/resume.js';
import { startServer, TRANSPORTS } from '../support/harness.js';

for (const kind of TRANSPORTS) resumeSuite(`over ${kind}, memory store`, () => startServer(kind));
