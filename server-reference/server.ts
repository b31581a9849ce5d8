import { CommitView } from './commit-view.js';
import { FanOutPacer } from './fan-out-pacer.js';
import { TauonError } from '../protocol/errors.js';
import type {
  AppendFrame,
  ClientFrame,
  ServerFrame,
  ServerLimits,
  StoredEvent,
} from '../protocol/frames.js';
import type { Connection, ServerTransport } from '../transports/transport.js';
import { AppendPipeline } from './append-pipeline.js';
import { InternalErrors, stderrErrorLog, type InternalErrorLog } from './internal-errors.js';
import { internalErrorsTo, type ServerLog } from './log.js';
import { ConnectionLog } from './log-connections.js';
import { ServerMetrics, snapshotOf } from './metrics.js';
import { MetricsTally } from './metrics-tally.js';
import { transportName } from './metrics-transport-name.js';
import { authenticateToken, type Authenticate, type SessionAccess } from './auth/authenticator.js';
import { refusalOf } from './auth/frame-authorization.js';
import { Permissions } from './auth/permissions.js';
import { readableStreamList } from './auth/readable-streams.js';
import {
  DEFAULT_BEHIND_THRESHOLD,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_LIMITS,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_MAX_CONNECTIONS,
  RECENT_COMMIT_EVENTS,
} from './limits.js';
import { refuseOverloaded } from './overload-refusal.js';
import { readPage, serverInfo, surfacePage, type ServerDescription } from './queries.js';
import { RecentCommits } from './recent-commits.js';
import { Session, type SessionHost } from './session.js';
import { answerGroupRequest } from './groups/group-requests.js';
import { GroupsEngine } from './groups/groups-engine.js';
import type { ProjectionDefinition } from './projections/projection-definition.js';
import { ProjectionsEngine } from './projections/projections-engine.js';
import type { EventStore } from './stores/event-store.js';
import { isStoreId } from './stores/store-identity.js';
import type { Subscription } from './subscription.js';

/** How a reference server is set up. */
export interface TauonServerOptions {
  /** Where events are kept. The server does not close it: its owner does. */
  store: EventStore;
  /**
   * Names this server in `welcome` and `info` (and the CloudEvents `source`, SPEC 5.10): 1 to 256
   * characters. The default, the store's identity (EventStore.id), stays the same across
   * restarts on the same store, and servers sharing a store agree on it. @default store.id
   */
  serverId?: string;
  /** Keep-alive interval announced to clients; a peer silent for 3 intervals is dead. @default 10000 */
  heartbeatMs?: number;
  /** Limits enforced per connection. @default DEFAULT_LIMITS */
  limits?: Partial<ServerLimits>;
  /** A live subscription this many positions behind the head is told `fell-behind`. @default 1000 */
  behindThreshold?: number;
  /**
   * Most bytes a connection may hold unsent before the server stops sending to it (and reading
   * its frames) until it drains, so that a client that stops reading its socket costs no more.
   * @default 1048576 (DEFAULT_MAX_BUFFERED_BYTES)
   */
  maxBufferedBytes?: number;
  /**
   * Decides who may connect and what each may do, from the token of `hello` (or of an HTTP
   * request's `Authorization: Bearer`): `true` for everything, a grant of read and write
   * selectors (until its `expiresAt`), or `false` to refuse (see {@link Authenticate};
   * `createAuthenticator` builds one from tokens, JWTs and anonymous access). Absent: every
   * client may read and write everything.
   * @example authenticate: (token) => token === process.env.TAUON_TOKEN
   * @example authenticate: (token) => (token === readerToken ? { read: ['orders.*'] } : token === adminToken)
   */
  authenticate?: Authenticate;
  /**
   * The most client connections served at once. One more is refused with `reject {code:
   * "overloaded"}` at its `hello` (then closed 4001), which clients take as a reason to dial
   * again later. HTTP requests are not connections in this sense. @default 10000
   */
  maxConnections?: number;
  /**
   * Where internal errors are logged, each with the id its client was told (the client gets
   * `internal error, id ID`, never the error's own message). @default one JSON line on stderr
   */
  errorLog?: InternalErrorLog;
  /**
   * Server-side projections to run (docs/projections.md): each folds a selector's events into a
   * state the store keeps with its checkpoint. Needs a store that keeps projections
   * (EventStore.projections: memory, lmdb, PostgreSQL, JetStream). @default []
   * @example projections: [{ name: 'order-count', stream: 'orders.*', initial: 0, evolve: (n: number) => n + 1 }]
   */
  projections?: readonly ProjectionDefinition[];
  /**
   * Keep Prometheus metrics (TauonServer.metrics, served at `GET /metrics` by the HTTP API;
   * docs/observability.md). Off, the server keeps only the plain counts of its hot paths.
   * @default true
   */
  metrics?: boolean;
  /**
   * Where the server writes its log: a line per connection opened and closed at debug, internal
   * errors at error (unless `errorLog` is given). A pino logger will do. @default none
   * @example log: pino({ level: 'debug' })
   */
  log?: ServerLog;
}

/**
 * The reference server: serves protocol v1 on any transport, on top of any EventStore.
 *
 * @example
 * const server = new TauonServer({ store: await LmdbStore.open('./data') });
 * await server.listen(new WsServerTransport({ server: httpServer }));
 */
export class TauonServer {
  readonly store: EventStore;
  readonly serverId: string;
  readonly heartbeatMs: number;
  readonly limits: ServerLimits;
  readonly behindThreshold: number;
  /** Most bytes a connection may hold unsent before the server waits for it to drain. */
  readonly maxBufferedBytes: number;
  /** The most client connections served at once (TauonServerOptions.maxConnections). */
  readonly maxConnections: number;
  /** Turns failures into what clients may be told, logging internal ones (for the HTTP API too). */
  readonly internalErrors: InternalErrors;
  private readonly authenticate: Authenticate | undefined;
  /** The sessions served, each with the name of its transport (for metrics and logs). */
  private readonly sessions = new Map<Session, string>();
  private readonly following = new Set<Subscription>();
  private readonly transports: ServerTransport[] = [];
  private readonly stopCommits: () => void;
  private readonly pacer = new FanOutPacer((events) => this.fanOut(events));
  /** The position of the newest event committed, as far as commit notifications tell. */
  private lastCommitted: number | undefined;
  private commitSerial = 0;
  private readonly recent = new RecentCommits(RECENT_COMMIT_EVENTS);
  /** Writes that do not come over a session (the HTTP API) share one ordered pipeline. */
  private readonly directWrites: AppendPipeline;
  private readonly directAnswers = new Map<number, (frame: ServerFrame) => void>();
  private nextDirectId = 0;
  private closed = false;
  /** The counts the hot paths keep, which `metrics` reads. */
  private readonly tally = new MetricsTally();
  /**
   * The server's Prometheus metrics (TauonServerOptions.metrics), or undefined when they are off.
   * @example const text = await server.metrics?.text();
   */
  readonly metrics: ServerMetrics | undefined;
  private readonly stopCommitDurations: (() => void) | undefined;
  private readonly log: ServerLog | undefined;
  private readonly connectionLog: ConnectionLog;
  /**
   * The consumer groups this server serves (SPEC 17), or undefined when its store keeps none
   * (EventStore.groups): then `welcome` announces no `groups` feature.
   */
  readonly groups: GroupsEngine | undefined;
  /**
   * The server-side projections this server runs (SPEC 18), or undefined when its store keeps
   * none (EventStore.projections): then `welcome` announces no `projections` feature.
   */
  readonly projections: ProjectionsEngine | undefined;

  constructor(options: TauonServerOptions) {
    this.store = options.store;
    // Checked here, not only by the type: a store module in plain JavaScript may predate identities.
    const storeId: unknown = options.store.id;
    if (!isStoreId(storeId)) {
      throw new TypeError(
        `the store (${options.store.kind}) has no identity: EventStore.id must be a string of 1 to 256 characters made with the store and kept in it (docs/writing-a-store.md), not ${JSON.stringify(storeId)}`,
      );
    }
    this.serverId = options.serverId ?? storeId;
    if (this.serverId.length < 1 || this.serverId.length > 256) {
      throw new RangeError(`serverId must have 1 to 256 characters, not ${this.serverId.length}`);
    }
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.behindThreshold = options.behindThreshold ?? DEFAULT_BEHIND_THRESHOLD;
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    if (!Number.isSafeInteger(this.maxConnections) || this.maxConnections < 1) {
      throw new RangeError(`maxConnections must be a positive integer, not ${options.maxConnections}`);
    }
    this.authenticate = options.authenticate;
    this.log = options.log;
    this.connectionLog = new ConnectionLog(options.log);
    const errorLog = options.errorLog ?? (options.log === undefined ? stderrErrorLog : internalErrorsTo(options.log));
    this.internalErrors = new InternalErrors((record) => {
      this.tally.internalErrors += 1;
      errorLog(record);
    });
    if (options.metrics !== false) {
      const metrics = new ServerMetrics(this.tally, () => snapshotOf(this.sessions, this.tally.connectionsOpened.keys()));
      this.metrics = metrics;
      this.stopCommitDurations = this.store.onCommitDuration?.((seconds) => metrics.commitDuration.observe(seconds));
    }
    this.stopCommits = this.store.onCommit((events) => this.pacer.committed(events));
    this.directWrites = new AppendPipeline(this.store, this.limits, (frame) => this.answerDirect(frame), this.internalErrors, this.tally);
    this.groups = this.store.groups === undefined ? undefined : new GroupsEngine(this.store, this.store.groups, this.internalErrors);
    this.projections = projectionsOf(this.store, options.projections ?? [], this.internalErrors);
  }

  /** Serves one connection until it closes. */
  accept(connection: Connection): void {
    this.serve(connection, 'direct');
  }

  /** Serves one connection of the transport named `transport` (`ws`, `amqp`, ...) until it closes. */
  private serve(connection: Connection, transport: string): void {
    if (this.closed) {
      connection.close(1001, 'server closing');
      return;
    }
    if (this.sessions.size >= this.maxConnections) {
      this.tally.connectionsRefused += 1;
      this.log?.warn({ transport, maxConnections: this.maxConnections }, 'connection refused: overloaded');
      refuseOverloaded(connection, `the server serves at most ${this.maxConnections} connections; try again later`, this.heartbeatMs);
      return;
    }
    const host: SessionHost = {
      ...this.description,
      store: this.store,
      behindThreshold: this.behindThreshold,
      maxBufferedBytes: this.maxBufferedBytes,
      recent: this.recent,
      releaseHeldCommits: () => this.pacer.releaseNow(),
      authenticate: (token) => this.authenticateToken(token),
      errors: this.internalErrors,
      tally: this.tally,
      follow: (subscription) => this.following.add(subscription),
      unfollow: (subscription) => this.following.delete(subscription),
      closed: (session) => this.sessions.delete(session),
    };
    this.sessions.set(new Session(host, connection), transport);
    this.tally.connectionOpened(transport);
    this.connectionLog.opened(connection, transport);
  }

  private get description(): ServerDescription {
    // A store that routes to others (RoutingStore) names the kinds behind it.
    const storeKinds = this.store.kinds ?? [this.store.kind];
    return { serverId: this.serverId, heartbeatMs: this.heartbeatMs, limits: this.limits, storeKinds, storeId: this.store.id, groups: this.groups, projections: this.projections, appendConditions: this.store.checksAppendConditions === true };
  }

  /** Accepts the connections of a transport until the server closes. */
  async listen(transport: ServerTransport): Promise<void> {
    this.transports.push(transport);
    const name = transportName(transport);
    this.tally.listening(name);
    await transport.listen((connection) => this.serve(connection, name));
  }

  /** True when a client presenting this token may use the server (the `authenticate` option). */
  async admits(token: string | undefined): Promise<boolean> {
    try {
      await this.authenticateToken(token);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * What a client presenting this token may do (the `authenticate` option, its grant compiled).
   * @throws UnauthorizedError saying why the token is refused.
   */
  authenticateToken(token: string | undefined): Promise<SessionAccess> {
    return authenticateToken(this.authenticate, token);
  }

  /** How many client connections are open. */
  get connectionCount(): number {
    return this.sessions.size;
  }

  /**
   * Answers one request frame without a session, as the HTTP API does: `append`, `invalidate`,
   * `read`, `surface`, `streams`, `info`, `groups`, `group` or `replay-parked`. Writes go through one ordered pipeline. The frame
   * is checked against `permissions` as a session's would be (`streams` lists only what they
   * may read). A failure of the server answers an `internal` error with an id, the full error
   * logged (`errorLog`).
   *
   * @throws ForbiddenError when the permissions do not allow the frame.
   */
  async request(frame: ClientFrame, permissions: Permissions = Permissions.all): Promise<ServerFrame> {
    const forbidden = refusalOf(permissions, frame);
    if (forbidden !== undefined) throw forbidden;
    try {
      return await this.answerRequest(frame, permissions);
    } catch (error) {
      throw this.internalErrors.expose(error, frame.type);
    }
  }

  private async answerRequest(frame: ClientFrame, permissions: Permissions): Promise<ServerFrame> {
    switch (frame.type) {
      case 'append':
      case 'invalidate': {
        const id = this.nextDirectId++;
        return new Promise<ServerFrame>((resolve) => {
          this.directAnswers.set(id, resolve);
          // A fresh chain per request: HTTP callers are independent of each other.
          this.directWrites.push(frame.type === 'append' ? ({ ...frame, id, newChain: true } satisfies AppendFrame) : { ...frame, id });
        });
      }
      case 'read':
        return readPage(this.store, this.limits, frame);
      case 'surface':
        return surfacePage(this.store, frame);
      case 'streams':
        return readableStreamList(this.store, this.limits, frame, permissions);
      case 'info':
        return serverInfo(this.store, this.description, frame.id, permissions);
      case 'groups':
      case 'group':
      case 'replay-parked':
        return answerGroupRequest(this.groups, frame, permissions);
      default:
        throw new TauonError('bad-frame', `"${frame.type}" is not a request`);
    }
  }

  /**
   * Closes every client connection now, keeping the server up: clients reconnect and resume.
   * For operations (shedding load, rolling restarts) and for testing resume.
   */
  disconnectAll(code = 1012, reason = 'server restarting'): void {
    for (const session of [...this.sessions.keys()]) session.close(code, reason);
  }

  /** Stops the transports and closes every session. The store stays open. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.transports.map((transport) => transport.close()));
    for (const session of [...this.sessions.keys()]) session.close();
    await this.groups?.close();
    await this.projections?.close();
    await this.directWrites.whenIdle();
    this.stopCommits();
    this.stopCommitDurations?.();
    this.pacer.stop();
  }

  private answerDirect(frame: ServerFrame): void {
    const id = 'id' in frame ? frame.id : undefined;
    if (id === undefined) return;
    const resolve = this.directAnswers.get(id);
    this.directAnswers.delete(id);
    resolve?.(frame);
  }

  private fanOut(events: readonly StoredEvent[]): void {
    // Behind a routing store each store numbers its own positions, so the previous commit may
    // be another numbering's: then no pattern takes the fast path, and reads from its cursor.
    const previous = this.store.kinds === undefined ? this.lastCommitted : undefined;
    const last = events[events.length - 1];
    if (last === undefined) return;
    this.lastCommitted = last.pos;
    const commit = new CommitView(events, previous, ++this.commitSerial);
    // The recent commits are kept from the first one a subscription did not take whole until
    // every subscription is at the head again or stalled: kept longer, their events would
    // outlive the young generation and make every garbage collection slower (live p99 +50%).
    this.recent.add(commit);
    let noneNeedsThem = true;
    for (const subscription of this.following) if (!subscription.onCommit(commit)) noneNeedsThem = false;
    if (noneNeedsThem) this.recent.clear();
  }
}

/**
 * The projections engine of a server: undefined on a store that keeps none, unless projections
 * are asked for there, which is refused.
 * @throws TypeError when projections are given and the store keeps none; ProjectionDefinitionError for a bad definition.
 */
function projectionsOf(store: EventStore, definitions: readonly ProjectionDefinition[], errors: InternalErrors): ProjectionsEngine | undefined {
  if (store.projections === undefined) {
    if (definitions.length > 0) {
      throw new TypeError(`the store (${store.kind}) keeps no projections (EventStore.projections), so it cannot run ${definitions.map((d) => `"${d.name}"`).join(', ')}`);
    }
    return undefined;
  }
  return new ProjectionsEngine(store, store.projections, definitions, errors);
}
