import { hotColdSwitchSuite } from './suites/hot-cold-switch.js';
import { startServer, TRANSPORTS } from '../support/harness.js';

for (const kind of TRANSPORTS) hotColdSwitchSuite(`over ${kind}, memory store`, () => startServer(kind));
