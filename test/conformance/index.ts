/**
 * The conformance kit: the wire suite that any server can run, and the store contract that any
 * EventStore can run, as vitest suites. Each has a subpath of its own that loads nothing of the
 * other (`tauon/conformance/wire`, `tauon/conformance/store`), and the wire kit also runs without
 * vitest (`tauon/conformance/runner`, or `npx tauon conformance URL`).
 * @module tauon/conformance
 */
export { CONFORMANCE_AUTH_PATTERN, describeServer, type AuthUnderTest, type ServerUnderTest } from './wire-suite.js';
export { RawPeer } from './raw-peer.js';
export { describeWebSocketBinding, DISALLOWED_ORIGIN } from './websocket-binding-suite.js';
export { describeEventStore, type EventStoreContractOptions } from './store-contract.js';
