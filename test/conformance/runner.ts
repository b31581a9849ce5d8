/**
 * The wire conformance kit without a test framework: its cases as plain data (`WIRE_CASES`) and
 * a runner (`runConformance`) that runs them against a server and reports each one; what
 * `tauon conformance URL` runs. Loads no vitest.
 * @module tauon/conformance/runner
 */
export { WIRE_CASES } from './cases/index.js';
export { caseName, inSection, type CaseNeed, type ConformanceCase } from './kit/case.js';
export { KitContext, type Answer, type StoredEventLike } from './kit/context.js';
export { runCase, runConformance, summarize, unmetNeeds, readWelcome, type CaseResult, type RunOptions } from './kit/run-cases.js';
export { CONFORMANCE_AUTH_PATTERN, type AuthUnderTest, type ServerUnderTest } from './kit/server-under-test.js';
export { RawPeer } from './raw-peer.js';
