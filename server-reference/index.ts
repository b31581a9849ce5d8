/**
 * The reference server: the session engine on any transport, the EventStore interface and its
 * implementations.
 * @module tauon/server
 */
export { TauonServer, type TauonServerOptions } from './server.js';
export { DEFAULT_LIMITS, DEFAULT_HEARTBEAT_MS, DEFAULT_BEHIND_THRESHOLD } from './limits.js';
export type {
  EventStore,
  AppendRequest,
  AppendOutcome,
  Direction,
  EventStoreFactory,
} from './stores/event-store.js';
export { INVALIDATED_TYPE } from './invalidation.js';
