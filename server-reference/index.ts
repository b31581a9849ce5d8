/**
 * The reference server: the session engine on any transport, the HTTP API, the EventStore
 * interface and its implementations (memory, lmdb).
 * @module tauon/server
 */
export { TauonServer, type TauonServerOptions } from './server.js';
export { createHttpApi } from './http-api.js';
export { ServerMetrics, METRICS_CONTENT_TYPE } from './metrics.js';
export { CommitDurations, type CommitDurationListener } from './metrics-commit-durations.js';
export type { ServerLog, LogFields } from './log.js';
export { UnsupportedMediaTypeError, type HttpApiOptions } from './http-doors.js';
export {
  InternalError,
  InternalErrors,
  formatInternalError,
  stderrErrorLog,
  type InternalErrorLog,
  type InternalErrorRecord,
} from './internal-errors.js';
export { createAuthenticator, type AuthOptions } from './auth/create-authenticator.js';
export type { Authenticate, Grant, SessionAccess } from './auth/authenticator.js';
export { Permissions, type Access } from './auth/permissions.js';
export { jwtVerifier, type JwtOptions, type JwtVerifier } from './auth/jwt-authenticator.js';
export type { StaticToken } from './auth/token-authenticator.js';
export { ForbiddenError, UnauthorizedError } from '../protocol/errors.js';
export { DEFAULT_LIMITS, DEFAULT_HEARTBEAT_MS, DEFAULT_BEHIND_THRESHOLD, DEFAULT_MAX_BUFFERED_BYTES } from './limits.js';
export { INVALIDATED_TYPE } from './invalidation.js';
export { TurnBudget, nextTurn, TURN_BUDGET_MS, ITEMS_PER_CHECK } from './short-turns.js';
export {
  MAX_PROJECTION_VALUE_BYTES,
  MAX_PROJECTIONS,
  ProjectionDefinitionError,
  type ProjectionDefinition,
} from './projections/projection-definition.js';
export { DEFAULT_AT_LEAST_TIMEOUT_MS, MAX_AT_LEAST_TIMEOUT_MS, MAX_ENTRIES_LIMIT, ProjectionsEngine } from './projections/projections-engine.js';
export type {
  ProjectionChangeNotice,
  ProjectionPage,
  ProjectionRead,
  ProjectionService,
  ProjectionSummary,
} from './projections/projection-service.js';
export type { ProjectionChange, ProjectionEntry, ProjectionRecord, ProjectionStore, ProjectionValue } from './projections/projection-store.js';
export * from './stores/index.js';
export { MissingDriverError } from '../transports/optional-driver.js';
export type { StoreModuleContext, StoreModuleFactory } from './store-module.js';
