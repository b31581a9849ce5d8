/**
 * The wire conformance kit as a vitest suite (`describeServer`), without the store contract.
 * @module tauon/conformance/wire
 */
export { CONFORMANCE_AUTH_PATTERN, describeServer, type AuthUnderTest, type ServerUnderTest } from './wire-suite.js';
export { RawPeer } from './raw-peer.js';
export { describeWebSocketBinding, DISALLOWED_ORIGIN } from './websocket-binding-suite.js';
