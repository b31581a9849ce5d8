/**
 * The Tauon client: `connect()` to a server over any transport, then emit events, subscribe to
 * streams as RxJS Observables (or async iterators), replay and read history, share the work
 * of a stream among the members of a consumer group (`consume`, `process`), run commands
 * against event-sourced aggregates with a decider (`commandHandler`), declare typed events
 * (`defineEvents`, `typed`), and read and watch the server's projections. Reconnects and
 * resumes on its own, with no gap and no duplicate. Runtime-neutral: it runs in Node and in
 * browsers.
 * @module tauon/client
 */
export { connect } from './connect.js';
export type {
  CaughtUpItem,
  Client,
  ConnectionStatus,
  ConnectOptions,
  EmitAck,
  EmitEvent,
  AppendCondition,
  EmitOptions,
  EventFilter,
  EventItem,
  EventIterator,
  ExpectedVersion,
  FeedItem,
  FellBehindItem,
  ReadOptions,
  ReadResult,
  ReconnectOptions,
  ServerInfo,
  ServerInfoProjection,
  ServerLimits,
  StartPosition,
  StoredEvent,
  StreamsOptions,
  StreamsResult,
  StreamSummary,
  SubscribeOptions,
  SubscriptionMode,
} from './types.js';
export type {
  AssignedItem,
  ConsumeOptions,
  ConsumerItem,
  Delivery,
  DeliveryItem,
  EventHandler,
  FencedItem,
  GroupInfo,
  GroupMemberInfo,
  GroupPartitionInfo,
  GroupStatusItem,
  GroupSummary,
  HandlerFailedItem,
  LeaseItem,
  NackOptions,
  PartitionAssignment,
  ProcessContext,
  ProcessItem,
  ProcessOptions,
} from './group-types.js';
export type { Decider } from './decider.js';
export { commandHandler, handleCommand, type CommandHandler } from './command-handler.js';
export type {
  AggregateOptions,
  CommandHandlerOptions,
  CommandResult,
  LoadedAggregate,
  SnapshotOptions,
  SnapshotProblem,
} from './aggregate-types.js';
export { CommandConflictError } from './aggregate-errors.js';
// Typed events (docs/typed-events.md) and the client projection operator.
export { defineEvents } from './typed-events.js';
export type {
  DefineEventsOptions,
  EmitDataOf,
  EmitEventOf,
  EventDataOf,
  EventDeclaration,
  EventOf,
  EventSchemas,
  EventTypeOf,
  SchemasOf,
  TypedEvent,
} from './typed-events.js';
export { typed } from './typed-client.js';
export type {
  ExtraItems,
  InvalidEvent,
  NoOptions,
  OnInvalid,
  OnUnknown,
  Received,
  TypedClient,
  TypedEventItem,
  TypedEventIterator,
  TypedFeedItem,
  TypedModeOptions,
  TypedReadOptions,
  TypedReadResult,
  TypedReceiveOptions,
  TypedSubscribeOptions,
  UntypedEvent,
} from './typed-types.js';
export { EventValidationError, UnknownEventTypeError } from './typed-errors.js';
export type { SchemaIssue, StandardSchemaV1 } from './typed-standard-schema.js';
export { project } from './projection-operator.js';
export type { KeyedProjection, KeyedProjectionOptions, ProjectableItem, ProjectedEvent, ProjectionOptions } from './projection-operator.js';
export type {
  ProjectionChange,
  ProjectionEntriesOptions,
  ProjectionEntriesPage,
  ProjectionEntry,
  ProjectionReadOptions,
  ProjectionState,
  ProjectionSummary,
} from './projection-types.js';
export { HandshakeRejectedError, RequestTimeoutError, StoreChangedError } from './errors.js';
export {
  AppendConditionFailedError,
  BadFrameError,
  ChainBrokenError,
  ConnectionClosedError,
  ForbiddenError,
  TauonError,
  UnauthorizedError,
  WrongExpectedVersionError,
} from '../protocol/errors.js';
export type { ErrorCode } from '../protocol/error-codes.js';
export type { Codec, CodecName } from '../protocol/codec.js';
export type { ClientTransport, CloseInfo, Connection } from '../transports/transport.js';
