/**
 * The Tauon client: `connect()` to a server over any transport, then emit events, subscribe to
 * streams as RxJS Observables (or async iterators), replay and read history, share the work of a
 * stream among the members of a consumer group (`consume`, `process`), and read and watch the
 * server's projections. Reconnects and resumes on its own, with no gap and no duplicate.
 * Runtime-neutral: it runs in Node and in browsers.
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
  BadFrameError,
  ChainBrokenError,
  ConnectionClosedError,
  ForbiddenError,
  TauonError,
  UnauthorizedError,
  WrongExpectedVersionError,
} from '../protocol/errors.js';
export type { ErrorCode } from '../protocol/error-codes.js';
export type { ClientTransport, CloseInfo, Connection } from '../transports/transport.js';
