/**
 * The event stores of the reference server and what they share.
 * @module
 */
export type { AppendHooks, AppendOutcome, AppendRequest, Direction, EncodedEvents, EventStore, EventStoreFactory } from './event-store.js';
export type { GroupMember, GroupPartition, GroupState, GroupStore, ParkedEvent, VersionedGroupState } from '../groups/group-store.js';
export { MemoryStore } from './memory/memory-store.js';
export { LmdbStore, type LmdbStoreOptions } from './lmdb/lmdb-store.js';
export { RoutingStore, type Route, type RoutingStoreOptions } from './routing/routing-store.js';
export { PostgresStore, type PostgresStoreOptions } from './postgres/postgres-store.js';
export { JetStreamStore, redactNatsUrl, type JetStreamStoreOptions } from './jetstream/jetstream-store.js';
export {
  applyAppendCall,
  planAppend,
  expectedVersionHolds,
  storedEvent,
  type AppendCallResult,
  type AppendTarget,
  type StreamHead,
} from './append-planner.js';
export {
  checkCondition,
  conditionRefusal,
  conditionScope,
  CONDITION_SCAN_LIMIT,
  type ConditionScope,
  type ConditionVerdict,
  type TypedEntry,
} from './append-condition.js';
export { CommitListeners, type CommitListener } from './commit-listeners.js';
export { EncodedPage } from './encoded-page.js';
export { deepEqual } from './deep-equal.js';
export { compareNames } from './name-order.js';
export { StoreClock } from './store-clock.js';
export { newStoreId, derivedStoreId, isStoreId, MAX_STORE_ID_LENGTH } from './store-identity.js';
