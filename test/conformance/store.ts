/**
 * The store contract as a vitest suite (`describeEventStore`), without the wire kit.
 * @module tauon/conformance/store
 */
export { describeEventStore, type EventStoreContractOptions } from './store-contract.js';
export { describeSharedGroupStore } from './store-contract-groups.js';
export { describeSharedProjectionStore } from './store-contract-projections.js';
