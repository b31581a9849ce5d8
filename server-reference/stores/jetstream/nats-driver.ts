/**
 * What of the JetStream store needs the NATS client (@nats-io/transport-node, @nats-io/jetstream,
 * @nats-io/kv) at run time, in one module that JetStreamStore.open() imports: importing
 * tauon/server loads no NATS code. Nothing else may import these packages or parts but as types.
 * @module
 */
export { connect } from '@nats-io/transport-node';
export { jetstream, jetstreamManager, JetStreamApiError, RetentionPolicy, StorageType } from '@nats-io/jetstream';
export { Kvm } from '@nats-io/kv';
export { IdClaims } from './claims.js';
export { JetStreamGroupStore } from './jetstream-group-store.js';
export { JetStreamProjectionStore } from './jetstream-projection-store.js';
export { JetStreamReader } from './reader.js';
export { CommitTail } from './tail.js';
export { JetStreamWriter } from './writer.js';
