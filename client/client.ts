import { BehaviorSubject } from 'rxjs';
import type { Observable } from 'rxjs';
import { ConnectionClosedError, errorFromWire, TauonError } from '../protocol/errors.js';
import type { ErrorFrame, ProjectionEntriesFrame, ProjectionFrame, ReadFrame, ServerFrame, StoredEvent, StreamsFrame } from '../protocol/frames.js';
import type { ClientTransport } from '../transports/transport.js';
import { SubscriptionIterator } from './async-iterator.js';
import { ConnectionSession } from './connection-session.js';
import { EmitQueue } from './emit-queue.js';
import { HandshakeRejectedError, StoreChangedError } from './errors.js';
import { eventsTo, feedTo, subscriptionObservable } from './feed-observable.js';
import type { ResolvedOptions } from './options.js';
import { ReconnectPolicy } from './reconnect-policy.js';
import { RequestTracker } from './request-tracker.js';
import type { FeedConsumer, Subscription, SubscriptionSpec } from './subscription.js';
import { SubscriptionRegistry } from './subscription-registry.js';
import { newEventId } from '../protocol/event-id.js';
import { GROUPS_FEATURE } from './group-member.js';
import type { GroupMember, GroupSpec, MemberBehaviour, MemberConsumer } from './group-member.js';
import { GroupMemberRegistry } from './group-member-registry.js';
import { consumerItemsTo, deliveriesTo, memberObservable } from './group-observable.js';
import { DEFAULT_CONCURRENCY, DEFAULT_MAX_DELIVERIES, processObservable } from './group-processor.js';
import type {
  ConsumeOptions,
  ConsumerItem,
  Delivery,
  EventHandler,
  GroupInfo,
  GroupSummary,
  ProcessItem,
  ProcessOptions,
} from './group-types.js';
import { ProjectionWatchRegistry } from './projection-watch-registry.js';
import {
  PROJECTIONS_FEATURE,
  type ProjectionChange,
  type ProjectionEntriesOptions,
  type ProjectionEntriesPage,
  type ProjectionReadOptions,
  type ProjectionState,
  type ProjectionSummary,
} from './projection-types.js';
import type {
  Client,
  ConnectionStatus,
  EmitAck,
  EmitEvent,
  EmitOptions,
  EventIterator,
  FeedItem,
  ReadOptions,
  ReadResult,
  ServerInfo,
  StreamsOptions,
  StreamsResult,
  SubscribeOptions,
} from './types.js';

/**
 * The client: owns the dial loop (one at a time), the current {@link ConnectionSession}, and
 * the parts that outlive a connection (emit queue, subscriptions, requests). When a session
 * comes up it resubscribes every open subscription, then resends the unanswered appends, then
 * the unanswered requests. Get one with `connect()`.
 */
export class TauonClient implements Client {
  private readonly statusSubject = new BehaviorSubject<ConnectionStatus>({ state: 'connecting', attempt: 0 });
  /** @inheritDoc */
  readonly status$: Observable<ConnectionStatus> = this.statusSubject.asObservable();

  private readonly policy: ReconnectPolicy;
  private readonly emits: EmitQueue;
  private readonly requests: RequestTracker;
  private readonly subscriptions: SubscriptionRegistry;
  private readonly groupMembers: GroupMemberRegistry;
  private readonly watches: ProjectionWatchRegistry;
  private session: ConnectionSession | undefined;
  /** The last session-level `error` the server sent, to explain the close that usually follows. */
  private serverError: TauonError | undefined;
  private dialing = false;
  private closing = false;
  private closePromise: Promise<void> | undefined;
  /** Cuts the backoff wait short when the client closes. */
  private wake: (() => void) | undefined;
  private lastRequestId = 0;
  private lastSub = 0;
  /**
   * The store of the sessions so far (`welcome.store`): set by the first welcome that names
   * one; a session of another store fails what was pending before it is resumed (SPEC 12).
   */
  private knownStore: string | undefined;

  constructor(
    private readonly transport: ClientTransport,
    private readonly options: ResolvedOptions,
    random?: () => number,
  ) {
    this.policy = new ReconnectPolicy(options.reconnect, random);
    const nextId = (): number => {
      this.lastRequestId += 1;
      return this.lastRequestId;
    };
    this.emits = new EmitQueue({
      maxAppendsInFlight: options.maxAppendsInFlight,
      maxEventsPerFrame: options.maxEventsPerFrame,
      maxFrameBytes: options.maxFrameBytes,
      nextId,
    });
    this.requests = new RequestTracker(options.requestTimeoutMs, nextId);
    // Subscriptions and group members share one sequence of subscription ids.
    const nextSub = (): number => {
      this.lastSub += 1;
      return this.lastSub;
    };
    this.subscriptions = new SubscriptionRegistry(nextSub);
    this.groupMembers = new GroupMemberRegistry(nextSub);
    this.watches = new ProjectionWatchRegistry(nextSub, (name, key, atLeast) => this.projection(name, key, { atLeast }));
  }

  /** @inheritDoc */
  get status(): ConnectionStatus {
    return this.statusSubject.value;
  }

  /**
   * Dials the first connection; resolves after `welcome`. Rejects (and closes the client) when
   * it fails: at once, or with `waitOnFirstConnect` once the reconnect policy gives up.
   */
  start(): Promise<void> {
    return this.startDialing('connecting', undefined).catch((error: unknown) => {
      const failure = error instanceof TauonError ? error : new ConnectionClosedError('connect failed', error);
      this.shutdown(failure);
      throw failure;
    });
  }

  emit(stream: string, event: EmitEvent, options?: EmitOptions): Promise<EmitAck>;
  emit(stream: string, events: EmitEvent[], options?: EmitOptions): Promise<EmitAck>;
  /** @inheritDoc */
  emit(stream: string, events: EmitEvent | EmitEvent[], options?: EmitOptions): Promise<EmitAck> {
    return this.emits.emit(stream, events, options);
  }

  /** @inheritDoc */
  subscribe(stream: string, options?: SubscribeOptions): Observable<StoredEvent> {
    const spec = this.specOf(stream, options, options?.mode ?? 'hot-cold');
    return subscriptionObservable((consumer) => this.openSubscription(spec, consumer), eventsTo);
  }

  /** @inheritDoc */
  feed(stream: string, options?: SubscribeOptions): Observable<FeedItem> {
    const spec = this.specOf(stream, options, options?.mode ?? 'hot-cold');
    return subscriptionObservable((consumer) => this.openSubscription(spec, consumer), feedTo);
  }

  /** @inheritDoc */
  replay(stream: string, options?: Omit<SubscribeOptions, 'mode'>): Observable<StoredEvent> {
    return this.subscribe(stream, { ...options, mode: 'cold' });
  }

  /** @inheritDoc */
  live(stream: string, options?: Omit<SubscribeOptions, 'mode'>): Observable<StoredEvent> {
    return this.subscribe(stream, { ...options, mode: 'hot' });
  }

  /** @inheritDoc */
  iterate(stream: string, options?: SubscribeOptions): EventIterator {
    const spec = this.specOf(stream, options, options?.mode ?? 'hot-cold');
    return new SubscriptionIterator((consumer) => this.openSubscription(spec, consumer));
  }

  /** @inheritDoc */
  async read(stream: string, options?: ReadOptions): Promise<ReadResult> {
    const page = await this.requests.request((id) => {
      const frame: ReadFrame = { type: 'read', id, stream };
      if (options?.from !== undefined) frame.from = options.from;
      if (options?.direction !== undefined) frame.direction = options.direction;
      if (options?.limit !== undefined) frame.limit = options.limit;
      if (options?.filter !== undefined) frame.filter = options.filter;
      return frame;
    }, 'page');
    return { events: page.events, next: page.next };
  }

  /** @inheritDoc */
  async surface(stream: string): Promise<StoredEvent[]> {
    const page = await this.requests.request((id) => ({ type: 'surface', id, stream }), 'page');
    return page.events;
  }

  /** @inheritDoc */
  async streams(options?: StreamsOptions): Promise<StreamsResult> {
    const list = await this.requests.request((id) => {
      const frame: StreamsFrame = { type: 'streams', id };
      if (options?.prefix !== undefined) frame.prefix = options.prefix;
      if (options?.after !== undefined) frame.after = options.after;
      if (options?.limit !== undefined) frame.limit = options.limit;
      return frame;
    }, 'stream-list');
    return { streams: list.streams, next: list.next };
  }

  /** @inheritDoc */
  async info(): Promise<ServerInfo> {
    const frame = await this.requests.request((id) => ({ type: 'info', id }), 'server-info');
    return {
      server: frame.server,
      version: frame.version,
      versions: frame.versions,
      stores: frame.stores,
      heartbeat: frame.heartbeat,
      limits: frame.limits,
      head: frame.head,
      ...(frame.store === undefined ? {} : { store: frame.store }),
      ...(frame.features === undefined ? {} : { features: frame.features }),
      ...(frame.groups === undefined ? {} : { groups: frame.groups }),
      ...(frame.projections === undefined ? {} : { projections: frame.projections }),
    };
  }

  /** @inheritDoc */
  consume(group: string, selector: string, options?: ConsumeOptions): Observable<Delivery> {
    return memberObservable((consumer, behaviour) => this.openMember(group, selector, options, consumer, behaviour), deliveriesTo);
  }

  /** @inheritDoc */
  consumeFeed(group: string, selector: string, options?: ConsumeOptions): Observable<ConsumerItem> {
    return memberObservable((consumer, behaviour) => this.openMember(group, selector, options, consumer, behaviour), consumerItemsTo);
  }

  /** @inheritDoc */
  process(group: string, selector: string, handler: EventHandler, options?: ProcessOptions): Observable<ProcessItem> {
    return processObservable((consumer, behaviour) => this.openMember(group, selector, options, consumer, behaviour), handler, {
      concurrency: positiveOr(options?.concurrency, DEFAULT_CONCURRENCY),
      maxDeliveries: positiveOr(options?.maxDeliveries, DEFAULT_MAX_DELIVERIES),
    });
  }

  /** @inheritDoc */
  async groups(): Promise<GroupSummary[]> {
    this.requireGroups();
    const list = await this.requests.request((id) => ({ type: 'groups', id }), 'group-list');
    return list.groups;
  }

  /** @inheritDoc */
  async group(name: string): Promise<GroupInfo | undefined> {
    this.requireGroups();
    try {
      const answer = await this.requests.request((id) => ({ type: 'group', id, group: name }), 'group-info');
      return answer.group;
    } catch (error) {
      if (error instanceof TauonError && error.code === 'not-found') return undefined;
      throw error;
    }
  }

  /** @inheritDoc */
  async replayParked(name: string): Promise<number> {
    this.requireGroups();
    const answer = await this.requests.request((id) => ({ type: 'replay-parked', id, group: name }), 'replaying');
    return answer.parked;
  }

  /** @inheritDoc */
  async projections(): Promise<ProjectionSummary[]> {
    this.requireProjections();
    const list = await this.requests.request((id) => ({ type: 'projections', id }), 'projection-list');
    return list.projections;
  }

  /** @inheritDoc */
  async projection(name: string, key?: string, options?: ProjectionReadOptions): Promise<ProjectionState> {
    this.requireProjections();
    const wait = options?.atLeast === undefined ? 0 : (options.timeoutMs ?? DEFAULT_PROJECTION_WAIT_MS);
    const state = await this.requests.request(
      (id) => {
        const frame: ProjectionFrame = { type: 'projection', id, name };
        if (key !== undefined) frame.key = key;
        if (options?.atLeast !== undefined) frame.atLeast = options.atLeast;
        if (options?.timeoutMs !== undefined) frame.timeoutMs = options.timeoutMs;
        return frame;
      },
      'projection-state',
      // The server may hold the answer for the wait asked for: the request's own time comes on top.
      this.options.requestTimeoutMs + wait,
    );
    return { name: state.name, key: state.key, found: state.found, ...(state.value === undefined ? {} : { value: state.value }), checkpoint: state.checkpoint };
  }

  /** @inheritDoc */
  async projectionEntries(name: string, options?: ProjectionEntriesOptions): Promise<ProjectionEntriesPage> {
    this.requireProjections();
    const page = await this.requests.request((id) => {
      const frame: ProjectionEntriesFrame = { type: 'projection-entries', id, name };
      if (options?.after !== undefined) frame.after = options.after;
      if (options?.limit !== undefined) frame.limit = options.limit;
      return frame;
    }, 'projection-page');
    return { entries: page.entries, next: page.next, checkpoint: page.checkpoint };
  }

  /** @inheritDoc */
  watchProjection(name: string, key?: string): Observable<ProjectionChange> {
    return this.watches.observe(name, key);
  }

  /** @inheritDoc */
  async rebuildProjection(name: string): Promise<void> {
    this.requireProjections();
    await this.requests.request((id) => ({ type: 'rebuild-projection', id, name }), 'projection-rebuilding');
  }

  /** @inheritDoc */
  invalidate(stream: string, tx: number, reason?: string): Promise<EmitAck> {
    return this.emits.invalidate(stream, tx, reason);
  }

  /** @inheritDoc */
  close(): Promise<void> {
    this.closePromise ??= this.closeNow();
    return this.closePromise;
  }

  private async closeNow(): Promise<void> {
    const alreadyShut = this.closing; // the client gave up reconnecting before
    this.closing = true;
    this.wake?.();
    const session = this.session;
    this.session = undefined;
    if (!alreadyShut) {
      const error = new ConnectionClosedError('the client was closed');
      this.emits.close(error);
      this.requests.close(error);
      this.subscriptions.endAll();
      this.groupMembers.endAll();
      this.watches.endAll();
      this.setStatus({ state: 'closed', attempt: 0 });
      this.statusSubject.complete();
    }
    if (session !== undefined) await session.close();
  }

  private specOf(stream: string, options: SubscribeOptions | undefined, mode: SubscriptionSpec['mode']): SubscriptionSpec {
    return {
      stream,
      mode,
      from: options?.from,
      filter: options?.filter,
      prefetch: Math.max(1, Math.floor(options?.prefetch ?? this.options.prefetch)),
    };
  }

  private openSubscription(spec: SubscriptionSpec, consumer: FeedConsumer): Subscription {
    return this.subscriptions.open(spec, consumer);
  }

  /** Opens a group member; called when an Observable of it is subscribed, so the member id made here is that subscription's. */
  private openMember(
    group: string,
    stream: string,
    options: ConsumeOptions | undefined,
    consumer: MemberConsumer,
    behaviour: MemberBehaviour,
  ): GroupMember {
    const spec: GroupSpec = {
      group,
      stream,
      filter: options?.filter,
      partitions: options?.partitions,
      from: options?.from,
      member: options?.member ?? newEventId(),
      maxUnacked: options?.maxUnacked,
      ackTimeoutMs: options?.ackTimeoutMs,
      maxDeliveries: options?.maxDeliveries,
      leaseMs: options?.leaseMs,
      prefetch: Math.max(1, Math.floor(options?.prefetch ?? this.options.prefetch)),
    };
    return this.groupMembers.open(spec, consumer, behaviour);
  }

  /** Fails a group request at once when the connected server does not serve groups (a server without them may not know the frames). */
  private requireGroups(): void {
    const session = this.session;
    if (session !== undefined && session.isOpen && !session.features.includes(GROUPS_FEATURE)) {
      throw new TauonError('unsupported', 'the server does not serve consumer groups (no "groups" in welcome.features)');
    }
  }

  /** Fails a projection request at once when the connected server runs no projections (it may not know the frames). */
  private requireProjections(): void {
    const session = this.session;
    if (session !== undefined && session.isOpen && !session.features.includes(PROJECTIONS_FEATURE)) {
      throw new TauonError('unsupported', 'the server runs no projections (no "projections" in welcome.features)');
    }
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.statusSubject.closed) return;
    this.statusSubject.next(status);
  }

  // ---- the dial loop ----

  private startDialing(phase: 'connecting' | 'reconnecting', cause: TauonError | undefined): Promise<void> {
    this.dialing = true;
    return this.dial(phase, cause).then(
      (session) => {
        // Cleared before the session is used: should it end at once, the next dial may start.
        this.dialing = false;
        this.onSessionOpen(session);
      },
      (error: unknown) => {
        this.dialing = false;
        throw error;
      },
    );
  }

  /** Dials until a session is up, waiting by the reconnect policy between tries. */
  private async dial(phase: 'connecting' | 'reconnecting', cause: TauonError | undefined): Promise<ConnectionSession> {
    // A lost connection counts as the first failure, so a flapping server is not redialed in a tight loop.
    let failures = phase === 'reconnecting' ? 1 : 0;
    let error = cause;
    for (let attempt = 1; ; attempt += 1) {
      this.setStatus(error === undefined ? { state: phase, attempt } : { state: phase, attempt, error });
      if (failures > 0) await this.sleep(this.policy.delayMs(failures));
      if (this.closing) throw new ConnectionClosedError('the client was closed');
      let session: ConnectionSession;
      try {
        session = await this.openSession();
      } catch (failure) {
        if (this.closing) throw new ConnectionClosedError('the client was closed');
        error =
          failure instanceof TauonError
            ? failure
            : new ConnectionClosedError(`cannot connect to ${this.transport.description}: ${describe(failure)}`, failure);
        const refused = error instanceof HandshakeRejectedError && !error.retriable;
        const mayRetry =
          !refused &&
          this.policy.options.enabled &&
          (phase === 'reconnecting' || this.options.waitOnFirstConnect) &&
          this.policy.mayDialAgain(attempt);
        if (!mayRetry) throw error;
        failures += 1;
        continue;
      }
      if (this.closing) {
        void session.close();
        throw new ConnectionClosedError('the client was closed');
      }
      return session;
    }
  }

  private async openSession(): Promise<ConnectionSession> {
    const connection = await this.transport.connect();
    if (this.closing) {
      connection.close(1000, 'client closed');
      throw new ConnectionClosedError('the client was closed');
    }
    let token: string | undefined;
    try {
      token = typeof this.options.token === 'function' ? await this.options.token() : this.options.token;
    } catch (error) {
      connection.close(1000, 'no token');
      throw new TauonError('unauthorized', `the token function failed: ${describe(error)}`, { cause: error });
    }
    return ConnectionSession.open(connection, {
      codec: this.options.codec,
      token,
      clientName: this.options.clientName,
      handshakeTimeoutMs: this.options.handshakeTimeoutMs,
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  // ---- one session ----

  private onSessionOpen(session: ConnectionSession): void {
    this.session = session;
    this.serverError = undefined;
    void session.ended.then((error) => {
      this.onSessionEnded(session, error);
    });
    this.checkStore(session.welcome.store);
    session.onPong((sentAt) => {
      if (this.session === session) this.groupMembers.onPong(sentAt);
    });
    // Resume order: subscriptions and group members first, then the unanswered appends, then the requests.
    this.subscriptions.attach(session);
    if (this.session === session) this.groupMembers.attach(session);
    if (this.session === session) this.watches.attach(session);
    if (this.session === session) this.emits.attach(session);
    if (this.session === session) this.requests.attach(session);
    if (this.session !== session) return;
    const store = session.welcome.store;
    this.setStatus({ state: 'connected', attempt: 0, server: session.welcome.server, ...(store === undefined ? {} : { store }) });
    if (this.session === session) {
      session.start((frame) => {
        this.dispatch(session, frame);
      });
    }
  }

  /**
   * Before anything is resumed on a new session: when its store is not the one known (another
   * id, or none after one), every subscription, emit and request from before fails with
   * StoreChangedError instead of being resumed or resent there; then the new store is the known one.
   */
  private checkStore(store: string | undefined): void {
    const previous = this.knownStore;
    this.knownStore = store;
    if (previous === undefined || previous === store) return;
    const error = new StoreChangedError(previous, store);
    this.subscriptions.failAll(error);
    this.groupMembers.failAll(error);
    this.watches.failAll(error);
    this.emits.failPending(error);
    this.requests.failPending(error);
  }

  private onSessionEnded(session: ConnectionSession, error: TauonError): void {
    if (this.session !== session) return;
    this.session = undefined;
    const reason = error instanceof ConnectionClosedError && this.serverError !== undefined ? this.serverError : error;
    this.serverError = undefined;
    this.subscriptions.detach();
    this.groupMembers.detach();
    this.watches.detach();
    this.emits.detach();
    this.requests.detach();
    if (this.closing || this.dialing) return;
    if (!this.policy.options.enabled) {
      this.shutdown(new ConnectionClosedError(`the connection was lost: ${reason.message}`, reason));
      return;
    }
    this.startDialing('reconnecting', reason).catch((failure: unknown) => {
      this.shutdown(failure instanceof TauonError ? failure : new ConnectionClosedError('reconnect failed', failure));
    });
  }

  /** The client gives up: everything pending fails, subscriptions error, the status is `closed`. */
  private shutdown(error: TauonError): void {
    if (this.closing) return;
    this.closing = true;
    this.wake?.();
    const closed =
      error instanceof ConnectionClosedError ? error : new ConnectionClosedError(`the client gave up connecting: ${error.message}`, error);
    this.emits.close(closed);
    this.requests.close(closed);
    this.subscriptions.endAll(closed);
    this.groupMembers.endAll(closed);
    this.watches.endAll(closed);
    this.setStatus({ state: 'closed', attempt: 0, error });
    this.statusSubject.complete();
  }

  private dispatch(session: ConnectionSession, frame: ServerFrame): void {
    if (this.session !== session) return;
    let violation: TauonError | undefined;
    switch (frame.type) {
      case 'appended':
        violation = this.emits.onAppended(frame);
        break;
      case 'events':
      case 'caught-up':
      case 'fell-behind':
      case 'complete':
        this.subscriptions.route(frame);
        break;
      case 'assigned':
      case 'deliver':
        this.groupMembers.route(frame);
        break;
      case 'projection-watching':
      case 'projection-changed':
        this.watches.route(frame);
        break;
      case 'page':
      case 'stream-list':
      case 'server-info':
      case 'group-list':
      case 'group-info':
      case 'replaying':
      case 'projection-list':
      case 'projection-state':
      case 'projection-page':
      case 'projection-rebuilding':
        violation = this.requests.onResponse(frame);
        break;
      case 'error':
        this.onErrorFrame(frame);
        break;
      default:
        // welcome, reject, ping and pong are the session's; nothing else exists.
        violation = new TauonError('protocol', `unexpected "${frame.type}" frame`);
    }
    if (violation !== undefined) session.fail(violation);
  }

  private onErrorFrame(frame: ErrorFrame): void {
    if (frame.id !== undefined) {
      // Unknown ids belong to requests that timed out: nothing to do.
      if (!this.emits.onError(frame)) this.requests.onError(frame);
      return;
    }
    if (frame.sub !== undefined) {
      if (this.groupMembers.has(frame.sub)) this.groupMembers.route(frame);
      else if (this.watches.has(frame.sub)) this.watches.route(frame);
      else this.subscriptions.route(frame);
      return;
    }
    // A session-level error: remember it to explain the close that usually follows.
    this.serverError = errorFromWire(frame.code, frame.message, frame.details);
  }
}

/** How long the server waits for a projection's `atLeast` when the read names no `timeoutMs` (SPEC 18.5). */
const DEFAULT_PROJECTION_WAIT_MS = 5000;

function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
