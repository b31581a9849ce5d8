import { RefusedFrameError, TauonError } from '../protocol/errors.js';
import type { Codec } from '../protocol/codec.js';
import { detectCodec } from '../protocol/codec.js';
import { encodeEventsFrame, encodeEventsFrameOfRuns, msgpackEventsFrameOf, type EventRun } from '../protocol/events-frame.js';
import { msgpackCodec, unpackPlain } from '../protocol/msgpack-codec.js';
import type { AckFrame, ClientFrame, ConsumeFrame, DeliverFrame, HelloFrame, NackFrame, PageFrame, ReadFrame, ReleaseFrame, ServerFrame, StoredEvent, SubscribeFrame, WatchProjectionFrame } from '../protocol/frames.js';
import { decodeClientFrame } from '../protocol/decode-client-frame.js';
import { parseClientFrame } from '../protocol/validate.js';
import { SUPPORTED_VERSIONS } from '../protocol/version.js';
import { CloseCodes, type Connection } from '../transports/transport.js';
import { AppendPipeline } from './append-pipeline.js';
import { splitEventsFrame } from './bounded-events-frames.js';
import { encodedReadPage } from './encoded-read.js';
import { describeTime, type SessionAccess } from './auth/authenticator.js';
import { atInstant } from './auth/expiry-timer.js';
import { refusalOf } from './auth/frame-authorization.js';
import { Permissions } from './auth/permissions.js';
import { readableStreamList } from './auth/readable-streams.js';
import { compileFilter } from './event-filter.js';
import type { InternalErrors } from './internal-errors.js';
import type { SubscriptionCounts } from './metrics.js';
import type { MetricsTally } from './metrics-tally.js';
import { ANSWERS_IN_FLIGHT, HEARTBEAT_MISSES } from './limits.js';
import { encodePageInTurns, PAGE_IN_ONE_PIECE } from './page-in-turns.js';
import { featuresOf, readPage, serverInfo, surfacePage, type ServerDescription } from './queries.js';
import { msgpackDeliverFrame } from './groups/deliver-frame.js';
import { answerGroupRequest } from './groups/group-requests.js';
import type { GroupConsumer } from './groups/groups-engine.js';
import { encodingOf, type EncodedDelivery } from './groups/local-member.js';
import { groupFrameProblem } from './groups/group-frame-problem.js';
import { answerProjectionRequest, readableProjection, unsupportedProjections } from './projections/projection-requests.js';
import { ProjectionWatch } from './projections/projection-watch.js';
import type { RecentCommits } from './recent-commits.js';
import { headOf, parseSelector } from './selector.js';
import { resolveForwardCursor, subscribeStartProblem } from './start-position.js';
import type { EventStore } from './stores/event-store.js';
import { Subscription } from './subscription.js';

/** What a session needs from the server that accepted it. */
export interface SessionHost extends ServerDescription {
  readonly store: EventStore;
  readonly behindThreshold: number;
  /** Most bytes a connection may hold unsent before the session stops sending and reading. */
  readonly maxBufferedBytes: number;
  /** The server's newest commits, which live subscriptions are served from. */
  readonly recent: RecentCommits;
  /** Delivers the commits the live fan-out holds back (FanOutPacer) now; false when none are. */
  releaseHeldCommits(): boolean;
  /** What the token of `hello` may do; throws an UnauthorizedError when it is refused. */
  authenticate(token: string | undefined): Promise<SessionAccess>;
  /** Turns failures into what the client may be told, logging internal ones. */
  readonly errors: InternalErrors;
  /** Where deliveries, appends and failures are counted (the server's metrics). */
  readonly tally: MetricsTally;
  /** Subscriptions that follow commits are registered with the server's commit fan-out. */
  follow(subscription: Subscription): void;
  unfollow(subscription: Subscription): void;
  /** The session closed. */
  closed(session: Session): void;
}

/**
 * One client connection: the handshake, then every frame validated and dispatched. Bad input
 * gets an error with a stable code; undecodable bytes or a missing handshake close this
 * connection, and only this one.
 *
 * A client that does not read is not sent more than `maxBufferedBytes` (give or take a page per
 * subscription): while the connection holds more unsent, subscriptions wait where they are, and
 * the session takes no more frames from it, so that pipelined requests do not pile up answers
 * (nor do more than ANSWERS_IN_FLIGHT requests await theirs); the frames wait in the transport,
 * over TCP in the client's own socket. All goes on when the connection drains.
 */
export class Session {
  private codec: Codec | undefined;
  private state: 'handshake' | 'authenticating' | 'open' | 'closed' = 'handshake';
  private readonly subscriptions = new Map<number, Subscription | PendingSubscription | GroupConsumer | ProjectionWatch>();
  private readonly pipeline: AppendPipeline;
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private lastReceived = Date.now();
  private lastSent = Date.now();
  private nonce = 0;
  /** What the session may do: decided at `hello`, checked on every frame. */
  private permissions = Permissions.none;
  private cancelExpiry: (() => void) | undefined;
  /** Frames received while the session took none (from `heldFrom` on), in order. */
  private heldInput: Uint8Array[] | undefined;
  private heldFrom = 0;
  /** Requests taken whose answers are not sent yet. */
  private answersPending = 0;
  /** A drain of the connection is awaited, and who waits for it. */
  private awaitingDrain = false;
  private drainWaiters: (() => void)[] = [];

  constructor(
    private readonly host: SessionHost,
    private readonly connection: Connection,
  ) {
    this.pipeline = new AppendPipeline(host.store, host.limits, (frame) => this.send(frame), host.errors, host.tally);
    this.heartbeat = setInterval(() => this.keepAlive(), Math.max(10, Math.floor(host.heartbeatMs / 2)));
    connection.onFrame((bytes) => this.receive(bytes));
    // A frame the transport refused for its size, unread: answered as one above maxFrameBytes.
    connection.onTooLarge?.(() => this.tooLarge(undefined));
    void connection.closed.then(() => this.teardown());
  }

  private get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Past the handshake: the client was welcomed, and the connection is still open. */
  get welcomed(): boolean {
    return this.state === 'open';
  }

  /** Adds this session's subscriptions to `counts`, by kind and by what holds them up (for a scrape). */
  countSubscriptions(counts: SubscriptionCounts): void {
    for (const subscription of this.subscriptions.values()) {
      if (subscription instanceof Subscription) {
        counts.subscriptions += 1;
        const paused = subscription.pausedFor;
        if (paused === 'credit') counts.pausedForCredit += 1;
        else if (paused === 'connection') counts.pausedForConnection += 1;
      } else if (subscription instanceof ProjectionWatch) {
        counts.projectionWatches += 1;
      } else if (!(subscription instanceof PendingSubscription)) {
        counts.groupMembers += 1;
      }
    }
  }

  /** Closes the connection (server shutdown). */
  close(code: number = CloseCodes.goingAway, reason = 'server closing'): void {
    const paused = this.heldInput !== undefined;
    this.connection.close(code, reason);
    // A connection that reads nothing would not read the peer's answer to the close either (a
    // WebSocket close handshake): reading goes on, and what comes now is dropped by the transport.
    if (paused) this.connection.pauseReceiving?.(false);
    this.teardown();
  }

  private receive(bytes: Uint8Array): void {
    if (this.heldInput !== undefined || !this.takesInput()) {
      this.holdInput(bytes);
      return;
    }
    this.take(bytes);
  }

  private take(bytes: Uint8Array): void {
    try {
      this.handle(bytes);
    } catch (error) {
      // A fault of ours on one frame must not take the server down: answer it and go on.
      this.send(errorFrameOf(this.host.errors.expose(error, 'frame')));
    }
  }

  /** False while the connection holds more unsent bytes than its bound (and can say when it drains). */
  private writable(): boolean {
    return this.connection.bufferedAmount <= this.host.maxBufferedBytes || this.connection.onDrain === undefined;
  }

  /**
   * While `hello` is being answered, frames a client pipelined behind it wait (SPEC 6.3): they
   * are taken after `welcome`, or dropped with the connection after `reject`.
   */
  private takesInput(): boolean {
    return this.state !== 'authenticating' && this.answersPending < ANSWERS_IN_FLIGHT && this.writable();
  }

  /** Calls `resume` once, when the connection has drained or closed. */
  private whenWritable(resume: () => void): void {
    this.drainWaiters.push(resume);
    if (this.awaitingDrain) return;
    this.awaitingDrain = true;
    this.connection.onDrain!(() => this.drained());
  }

  private drained(): void {
    this.awaitingDrain = false;
    if (this.isClosed) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    // The held frames first: they came before anything the subscriptions will send now.
    this.takeHeldInput();
    for (const resume of waiters) resume();
  }

  /** Keeps a frame for later, and asks the transport to stop reading meanwhile. */
  private holdInput(bytes: Uint8Array): void {
    // Still a sign of life (section 9), though it is not taken yet.
    this.lastReceived = Date.now();
    if (this.heldInput === undefined) {
      this.heldInput = [];
      this.connection.pauseReceiving?.(true);
      if (!this.writable()) this.whenWritable(() => undefined);
    }
    this.heldInput.push(bytes);
  }

  /** Takes the held frames, in order, as far as the session takes input; reading goes on after the last. */
  private takeHeldInput(): void {
    const held = this.heldInput;
    if (held === undefined) return;
    while (this.heldFrom < held.length && !this.isClosed) {
      if (!this.takesInput()) {
        if (!this.writable()) this.whenWritable(() => undefined);
        return;
      }
      const bytes = held[this.heldFrom]!;
      held[this.heldFrom++] = EMPTY_FRAME;
      this.take(bytes);
    }
    this.heldInput = undefined;
    this.heldFrom = 0;
    if (!this.isClosed) this.connection.pauseReceiving?.(false);
  }

  private handle(bytes: Uint8Array): void {
    if (this.state === 'closed') return;
    if (this.state === 'authenticating') {
      // Behind a `hello` still being answered: in its turn, after `welcome`.
      this.holdInput(bytes);
      return;
    }
    this.lastReceived = Date.now();
    if (bytes.byteLength > this.host.limits.maxFrameBytes) {
      this.codec ??= detectCodec(bytes);
      this.tooLarge(bytes.byteLength);
      return;
    }
    this.codec ??= detectCodec(bytes);
    let value: unknown;
    let frame: ClientFrame;
    try {
      value = decodeClientFrame(this.codec, bytes);
    } catch (error) {
      // Too deep, or not UTF-8: refused like a frame that fails its schema, the session goes on.
      if (error instanceof RefusedFrameError) {
        if (this.state !== 'open') this.fatal(error, CloseCodes.handshake);
        else this.refuse(error.value, error);
      } else {
        this.fatal(error as TauonError, CloseCodes.badFrame);
      }
      return;
    }
    try {
      frame = parseClientFrame(value);
    } catch (error) {
      const tauon = error as TauonError;
      if (this.state !== 'open') this.fatal(tauon, CloseCodes.handshake);
      else this.refuse(value, tauon);
      return;
    }
    if (this.state === 'handshake') {
      if (frame.type !== 'hello') {
        this.fatal(new TauonError('protocol', `the first frame must be "hello", not "${frame.type}"`), CloseCodes.handshake);
        return;
      }
      void this.handshake(frame);
      return;
    }
    this.dispatch(frame);
  }

  /** Says `too-large` (in msgpack when no frame told the codec yet) and closes with 1009. */
  private tooLarge(size: number | undefined): void {
    if (this.state === 'closed') return;
    const limit = this.host.limits.maxFrameBytes;
    const frame = size === undefined ? 'a frame' : `frame of ${size} bytes`;
    this.fatal(new TauonError('too-large', `${frame} exceeds the limit of ${limit} bytes`), CloseCodes.tooLarge);
  }

  /**
   * Answers a frame that failed validation. A bad append to a stream that can be named still
   * takes its place in the write order and breaks that stream's chain: no later append to the
   * stream may be stored behind it.
   */
  private refuse(value: unknown, error: TauonError): void {
    const ids = idsOf(value);
    const { type, stream } = (typeof value === 'object' && value !== null ? value : {}) as { type?: unknown; stream?: unknown };
    if (type === 'append' && ids.id !== undefined && typeof stream === 'string') {
      this.pipeline.reject(ids.id, stream, error);
      return;
    }
    this.send({ type: 'error', ...ids, code: error.code, message: error.message });
  }

  private async handshake(hello: HelloFrame): Promise<void> {
    this.state = 'authenticating';
    const version = Math.max(...hello.versions.filter((v) => SUPPORTED_VERSIONS.includes(v)), 0);
    if (version === 0) {
      this.reject('unsupported-version', `this server speaks protocol versions ${SUPPORTED_VERSIONS.join(', ')}`);
      return;
    }
    let access: SessionAccess;
    try {
      access = await this.host.authenticate(hello.token);
    } catch (error) {
      if (!this.isClosed) this.reject('unauthorized', error instanceof Error ? error.message : 'the token was refused');
      return;
    }
    if (this.isClosed) return;
    this.permissions = access.permissions;
    this.state = 'open';
    this.send({
      type: 'welcome',
      version,
      server: this.host.serverId,
      heartbeat: this.host.heartbeatMs,
      limits: this.host.limits,
      store: this.host.storeId,
      ...(featuresOf(this.host).length === 0 ? {} : { features: featuresOf(this.host) }),
    });
    const expiresAt = access.expiresAt;
    if (expiresAt !== undefined) this.cancelExpiry = atInstant(expiresAt, () => this.expire(expiresAt));
    // The frames the client pipelined behind its hello, in order.
    this.takeHeldInput();
  }

  private reject(code: 'unsupported-version' | 'unauthorized', message: string): void {
    this.send({ type: 'reject', code, message, versions: [...SUPPORTED_VERSIONS] });
    this.close(CloseCodes.handshake, code);
  }

  /** The token the session was opened with has expired: say so and close, and the client reconnects with a fresh one. */
  private expire(expiresAt: number): void {
    if (this.isClosed) return;
    this.send({ type: 'error', code: 'unauthorized', message: `the token expired at ${describeTime(expiresAt)}` });
    this.close(CloseCodes.handshake, 'token expired');
  }

  private dispatch(frame: ClientFrame): void {
    // A subscribe whose start is wrong on its own is a bad frame, refused before permissions (6.4.3).
    const malformed = frame.type === 'subscribe' ? subscribeStartProblem(frame) : frame.type === 'ack' || frame.type === 'nack' ? groupFrameProblem(frame) : undefined;
    if (malformed !== undefined) {
      this.send(errorFrameOf(malformed, idsOf(frame)));
      return;
    }
    const forbidden = refusalOf(this.permissions, frame);
    if (forbidden !== undefined) {
      // A refused write keeps its place in the write order (and breaks its stream's chain).
      if (frame.type === 'append' || frame.type === 'invalidate') this.pipeline.reject(frame.id, frame.stream, forbidden);
      else this.send({ type: 'error', ...idsOf(frame), code: forbidden.code, message: forbidden.message, details: { ...forbidden.details } });
      return;
    }
    switch (frame.type) {
      case 'append':
      case 'invalidate':
        this.pipeline.push(frame);
        return;
      case 'subscribe':
        this.answer(frame.sub, this.subscribe(frame, this.pipeline.writesReceivedSoFar()), 'subscribe', 'sub');
        return;
      case 'credit':
        this.credit(frame.sub, frame.n);
        return;
      case 'unsubscribe':
        this.unsubscribe(frame.sub);
        return;
      case 'read':
        this.answer(frame.id, this.afterWrites(() => this.readAnswer(frame)), 'read');
        return;
      case 'surface':
        this.answer(frame.id, this.afterWrites(() => surfacePage(this.host.store, frame)), 'surface');
        return;
      case 'streams':
        this.answer(frame.id, this.afterWrites(() => readableStreamList(this.host.store, this.host.limits, frame, this.permissions)), 'streams');
        return;
      case 'info':
        this.answer(frame.id, this.afterWrites(() => serverInfo(this.host.store, this.host, frame.id, this.permissions)), 'info');
        return;
      case 'consume':
        this.answer(frame.sub, this.consume(frame), 'consume', 'sub');
        return;
      case 'ack':
      case 'nack':
      case 'release':
        this.toGroupMember(frame);
        return;
      case 'groups':
      case 'group':
      case 'replay-parked':
        this.answer(frame.id, this.afterWrites(() => answerGroupRequest(this.host.groups, frame, this.permissions)), frame.type);
        return;
      case 'projections':
      case 'projection':
      case 'projection-entries':
      case 'rebuild-projection':
        this.answer(frame.id, this.afterWrites(() => answerProjectionRequest(this.host.projections, frame, this.permissions, this.host.limits)), frame.type);
        return;
      case 'watch-projection':
        this.answer(frame.sub, this.watchProjection(frame), 'watch-projection', 'sub');
        return;
      case 'ping':
        this.send({ type: 'pong', ...(frame.nonce === undefined ? {} : { nonce: frame.nonce }) });
        return;
      case 'pong':
        return;
      case 'hello':
        this.send({ type: 'error', code: 'protocol', message: 'the session has already said hello' });
        return;
    }
  }

  /**
   * Read-your-writes (SPEC 6.3): a query runs once every write received before it on this
   * connection is answered; at once when none is waiting.
   */
  private afterWrites<T>(query: () => Promise<T>): Promise<T> {
    const writes = this.pipeline.writesReceivedSoFar();
    return writes === undefined ? query() : writes.then(query);
  }

  /** A read's page; one answered from stored encodings (msgpack) is sent here, and undefined returned. */
  private async readAnswer(frame: ReadFrame): Promise<PageFrame | undefined> {
    if (this.codec?.name === 'msgpack') {
      const bytes = await encodedReadPage(this.host.store, this.host.limits, frame);
      if (bytes !== undefined) {
        this.sendBytes(bytes);
        return undefined;
      }
    }
    return readPage(this.host.store, this.host.limits, frame);
  }

  /** Sends a request's answer, or its failure as an `error` frame naming the request. */
  private answer(id: number, work: Promise<ServerFrame | undefined>, context: string, field: 'id' | 'sub' = 'id'): void {
    this.answersPending += 1;
    work
      .then(
        async (frame) => {
          if (frame?.type === 'page' && frame.events.length > PAGE_IN_ONE_PIECE) await this.sendPageInTurns(frame);
          else if (frame !== undefined) this.send(frame);
        },
        (error: unknown) => {
          this.send(errorFrameOf(this.host.errors.expose(error, context), { [field]: id }));
        },
      )
      .finally(() => {
        this.answersPending -= 1;
        this.takeHeldInput();
      });
  }

  /** A large page (a surface of many keys) is encoded in short turns, then sent (or its failure, as send does). */
  private sendPageInTurns(frame: PageFrame): Promise<void> {
    return encodePageInTurns(this.codec ?? msgpackCodec, frame).then(
      (bytes) => this.sendEncoding(frame, () => bytes),
      (error: unknown) =>
        this.sendEncoding(frame, () => {
          throw error;
        }),
    );
  }

  /** `writesBefore`: the writes received before the subscribe, which its start waits for (read-your-writes, SPEC 6.3). */
  private async subscribe(frame: SubscribeFrame, writesBefore?: Promise<void>): Promise<undefined> {
    const limits = this.host.limits;
    if (this.subscriptions.has(frame.sub)) throw new TauonError('protocol', `subscription ${frame.sub} is already open`);
    if (this.subscriptions.size >= limits.maxSubscriptions) {
      throw new TauonError('limit', `at most ${limits.maxSubscriptions} subscriptions per connection`);
    }
    if (frame.credit > limits.maxCredit) throw new TauonError('limit', `credit is at most ${limits.maxCredit}`);
    const selector = parseSelector(frame.stream);
    const store = this.host.store;
    // Reserve the id at once so that credit and unsubscribe that follow are matched to it.
    const placeholder = new PendingSubscription(frame.credit);
    this.subscriptions.set(frame.sub, placeholder);
    try {
      if (writesBefore !== undefined) await writesBefore;
      const from = frame.from ?? (frame.mode === 'hot' ? 'end' : 'start');
      const cursor = await resolveForwardCursor(store, selector, from);
      const target = frame.mode === 'cold' ? await headOf(store, selector) : 0;
      if (this.state === 'closed' || this.subscriptions.get(frame.sub) !== placeholder) {
        return undefined;
      }
      const subscription = new Subscription(
        {
          store,
          behindThreshold: this.host.behindThreshold,
          recent: this.host.recent,
          releaseHeldCommits: () => this.host.releaseHeldCommits(),
          // Nothing more of a subscription that ended on an encode failure (unrepresentable).
          send: (out) => {
            if (this.subscriptions.get(frame.sub) === subscription) this.send(out);
          },
          sendRuns: (sub, runs) => this.sendEventRuns(sub, runs),
          maxEventsFrameBytes: limits.maxFrameBytes,
          ...(this.codec?.name === 'msgpack'
            ? {
                sendEncoded: (sub: number, count: number, events: Uint8Array) => {
                  this.countDelivered(count);
                  this.sendBytes(msgpackEventsFrameOf(sub, count, events));
                },
              }
            : {}),
          ended: (ended) => this.forget(ended),
          errors: this.host.errors,
          tally: this.host.tally,
          writable: () => this.writable(),
          whenWritable: (resume) => this.whenWritable(resume),
        },
        {
          sub: frame.sub,
          selector,
          mode: frame.mode,
          predicate: compileFilter(frame.filter),
          cursor,
          target,
          credit: placeholder.credit,
        },
      );
      this.subscriptions.set(frame.sub, subscription);
      if (frame.mode !== 'cold') this.host.follow(subscription);
      subscription.start();
      return undefined;
    } catch (error) {
      if (this.subscriptions.get(frame.sub) === placeholder) this.subscriptions.delete(frame.sub);
      throw error;
    }
  }

  /** Joins a consumer group (SPEC 17.3); its first frame, `assigned`, is sent by the group. */
  private async consume(frame: ConsumeFrame): Promise<undefined> {
    const limits = this.host.limits;
    if (this.subscriptions.has(frame.sub)) throw new TauonError('protocol', `subscription ${frame.sub} is already open`);
    if (this.subscriptions.size >= limits.maxSubscriptions) {
      throw new TauonError('limit', `at most ${limits.maxSubscriptions} subscriptions per connection`);
    }
    if (frame.credit > limits.maxCredit) throw new TauonError('limit', `credit is at most ${limits.maxCredit}`);
    const engine = this.host.groups;
    if (engine === undefined) throw new TauonError('unsupported', 'this server keeps no consumer groups: its store has none');
    const placeholder = new PendingSubscription(frame.credit);
    this.subscriptions.set(frame.sub, placeholder);
    let joined: GroupConsumer | undefined;
    try {
      const consumer = await engine.consume(
        frame,
        {
          send: (out) => this.send(out),
          deliver: (sub, part, gen, events) => {
            this.countDelivered(events.length);
            this.sendEncodedDeliver(sub, part, gen, events);
          },
          batch: (work) => (this.connection.batch === undefined ? work() : this.connection.batch(work)),
          writable: () => this.writable(),
          whenWritable: (resume) => this.whenWritable(resume),
          lastHeard: () => this.lastReceived,
          end: (error) => {
            if (joined === undefined || this.subscriptions.get(frame.sub) !== joined) return;
            this.subscriptions.delete(frame.sub);
            this.send(errorFrameOf(error, { sub: frame.sub }));
          },
        },
        frame.credit,
      );
      if (this.state === 'closed' || this.subscriptions.get(frame.sub) !== placeholder) {
        consumer.close();
        return undefined;
      }
      this.subscriptions.set(frame.sub, consumer);
      joined = consumer;
      // Credit sent while the member joined.
      if (placeholder.credit > frame.credit) consumer.addCredit(placeholder.credit - frame.credit);
      return undefined;
    } catch (error) {
      if (this.subscriptions.get(frame.sub) === placeholder) this.subscriptions.delete(frame.sub);
      throw error;
    }
  }

  /**
   * Opens a watch of a projection (SPEC 18.6): checks as a subscribe's (the `sub`, the
   * subscription limit), then the feature, the name and the read permission on its selector;
   * listens, then reads the checkpoint every later change lies past, and says `projection-watching`.
   */
  private async watchProjection(frame: WatchProjectionFrame): Promise<undefined> {
    const limits = this.host.limits;
    if (this.subscriptions.has(frame.sub)) throw new TauonError('protocol', `subscription ${frame.sub} is already open`);
    if (this.subscriptions.size >= limits.maxSubscriptions) {
      throw new TauonError('limit', `at most ${limits.maxSubscriptions} subscriptions per connection`);
    }
    const service = this.host.projections;
    if (service === undefined) throw unsupportedProjections();
    const placeholder = new PendingSubscription(0);
    this.subscriptions.set(frame.sub, placeholder);
    let watch: ProjectionWatch | undefined;
    try {
      await readableProjection(service, frame.name, this.permissions);
      if (this.state === 'closed' || this.subscriptions.get(frame.sub) !== placeholder) return undefined;
      const opened = new ProjectionWatch(frame.sub, frame.name, {
        send: (out) => {
          if (this.subscriptions.get(frame.sub) === opened) this.send(out);
        },
        writable: () => this.writable(),
        whenWritable: (resume) => this.whenWritable(resume),
        end: (error) => {
          if (this.subscriptions.get(frame.sub) !== opened) return;
          this.subscriptions.delete(frame.sub);
          this.send(errorFrameOf(error, { sub: frame.sub }));
        },
      });
      watch = opened;
      this.subscriptions.set(frame.sub, opened);
      opened.listening(service.watch(frame.name, frame.key, opened.onChange));
      // Read after the listener is in place: every change past this checkpoint reaches it.
      const { checkpoint } = await service.summary(frame.name);
      if (this.subscriptions.get(frame.sub) === opened) opened.open(checkpoint);
      return undefined;
    } catch (error) {
      watch?.close();
      const current = this.subscriptions.get(frame.sub);
      if (current === placeholder || (watch !== undefined && current === watch)) this.subscriptions.delete(frame.sub);
      throw error;
    }
  }

  /** An `ack`, `nack` or `release` goes to the member it names; for a sub that is no member, `fenced` (SPEC 17.7). */
  private toGroupMember(frame: AckFrame | NackFrame | ReleaseFrame): void {
    const consumer = this.subscriptions.get(frame.sub);
    if (consumer === undefined || consumer instanceof Subscription || consumer instanceof PendingSubscription || consumer instanceof ProjectionWatch) {
      this.send({
        type: 'error',
        sub: frame.sub,
        code: 'fenced',
        message: `subscription ${frame.sub} is not a consumer group member holding partition ${frame.part}`,
        details: { part: frame.part, gen: frame.gen },
      });
      return;
    }
    if (frame.type === 'ack') consumer.ack(frame);
    else if (frame.type === 'nack') consumer.nack(frame);
    else consumer.release(frame);
  }

  private credit(sub: number, n: number): void {
    if (n <= 0) {
      this.send({ type: 'error', sub, code: 'protocol', message: `credit must be positive, got ${n}` });
      return;
    }
    const subscription = this.subscriptions.get(sub);
    // A watch takes no credit (SPEC 18.6): as for a sub that is not open, nothing is said.
    if (subscription === undefined || subscription instanceof ProjectionWatch) return;
    const room = this.host.limits.maxCredit - subscription.outstandingCredit;
    if (n > room) {
      this.send({ type: 'error', sub, code: 'limit', message: `credit is capped at ${this.host.limits.maxCredit}` });
    }
    if (room > 0) subscription.addCredit(Math.min(n, room));
  }

  /**
   * Sends a subscription's events in one frame, or in several when one would hold more than one
   * event beyond maxFrameBytes (6.5.4); an encoding failure is sent as sendEncoding does.
   */
  private sendEventRuns(sub: number, runs: readonly EventRun[]): void {
    let count = 0;
    for (const run of runs) count += run.end - run.start;
    this.countDelivered(count);
    const codec = this.codec ?? msgpackCodec;
    const maxBytes = this.host.limits.maxFrameBytes;
    let frames: Uint8Array[] | undefined;
    this.sendEncoding({ sub }, () => {
      const bytes = encodeEventsFrameOfRuns(codec, sub, runs);
      if (bytes.byteLength <= maxBytes) return bytes;
      frames = splitEventsFrame(codec, sub, runs, bytes, maxBytes);
      return frames.shift()!;
    });
    if (frames !== undefined) for (const bytes of frames) this.sendBytes(bytes);
  }

  /** Counts events delivered in one frame (or in the frames one is cut into), never event by event. */
  private countDelivered(events: number): void {
    if (this.isClosed) return;
    const tally = this.host.tally;
    tally.eventsDelivered += events;
    tally.deliveryFrames += 1;
  }

  private unsubscribe(sub: number): void {
    const subscription = this.subscriptions.get(sub);
    if (subscription === undefined) return;
    subscription.close();
    this.subscriptions.delete(sub);
    if (subscription instanceof Subscription) this.host.unfollow(subscription);
  }

  private forget(subscription: Subscription): void {
    if (this.subscriptions.get(subscription.sub) === subscription) this.subscriptions.delete(subscription.sub);
    this.host.unfollow(subscription);
  }

  private send(frame: ServerFrame): void {
    // Live events of one commit go to many subscribers: their list is encoded once.
    this.sendEncoding(frame, (codec) => (frame.type === 'events' ? encodeEventsFrame(codec, frame.sub, frame.events) : codec.encode(frame)));
  }

  /**
   * A `deliver` frame of events as their stored msgpack encodings: spliced into the frame for a
   * msgpack client, decoded for a JSON one. It stays within maxFrameBytes (SPEC 17.8): one too
   * large is sent in halves.
   */
  private sendEncodedDeliver(sub: number, part: number, gen: number, events: readonly EncodedDelivery[]): void {
    if (this.state === 'closed') return;
    if ((this.codec ?? msgpackCodec).name !== 'msgpack') {
      const decoded = events.map((event) => unpackPlain(encodingOf(event)) as StoredEvent);
      this.sendDeliver({ type: 'deliver', sub, part, gen, events: decoded, deliveries: events.map((event) => event.deliveries) });
      return;
    }
    const bytes = msgpackDeliverFrame(sub, part, gen, events);
    if (bytes.byteLength <= this.host.limits.maxFrameBytes || events.length === 1) {
      this.sendBytes(bytes);
      return;
    }
    const middle = Math.ceil(events.length / 2);
    this.sendEncodedDeliver(sub, part, gen, events.slice(0, middle));
    this.sendEncodedDeliver(sub, part, gen, events.slice(middle));
  }

  /** A decoded `deliver` frame of several events stays within maxFrameBytes (SPEC 17.8): one too large is sent in halves. */
  private sendDeliver(frame: DeliverFrame): void {
    if (this.state === 'closed') return;
    let bytes: Uint8Array | undefined;
    try {
      bytes = (this.codec ?? msgpackCodec).encode(frame);
    } catch {
      // Said as sendEncoding says it (unrepresentable, or internal), below.
    }
    if (bytes === undefined) {
      this.sendEncoding(frame, (codec) => codec.encode(frame));
      return;
    }
    if (bytes.byteLength <= this.host.limits.maxFrameBytes || frame.events.length === 1) {
      this.sendBytes(bytes);
      return;
    }
    const middle = Math.ceil(frame.events.length / 2);
    this.sendDeliver({ ...frame, events: frame.events.slice(0, middle), deliveries: frame.deliveries.slice(0, middle) });
    this.sendDeliver({ ...frame, events: frame.events.slice(middle), deliveries: frame.deliveries.slice(middle) });
  }

  /** Sends what `encode` makes of a frame (`about` names its request), or the error it throws. */
  private sendEncoding(about: { type?: string; id?: number; sub?: number }, encode: (codec: Codec) => Uint8Array): void {
    if (this.state === 'closed') return;
    const codec = this.codec ?? msgpackCodec;
    let bytes: Uint8Array;
    try {
      bytes = encode(codec);
    } catch (error) {
      // Stored data the client's codec cannot carry (a 64-bit integer or binary for a JSON
      // client): that request fails with `unrepresentable` naming the event, and a subscription
      // ends (SPEC 4.9); the session and the server go on.
      if (about.type === 'error') return;
      const { id, sub } = about;
      if (error instanceof TauonError && error.code === 'unrepresentable') {
        this.sendBytes(codec.encode(errorFrameOf(error, { ...(id === undefined ? {} : { id }), ...(sub === undefined ? {} : { sub }) })));
        if (sub !== undefined) this.unsubscribe(sub);
        return;
      }
      const failure = this.host.errors.expose(
        new TauonError('internal', `the answer cannot be encoded as ${codec.name}`, { cause: error }),
        `encode ${about.type ?? 'events'}`,
      );
      bytes = codec.encode(errorFrameOf(failure, { ...(id === undefined ? {} : { id }), ...(sub === undefined ? {} : { sub }) }));
      this.sendBytes(bytes);
      // An error with `sub` from the server ends the subscription (SPEC 6.5.11): nothing more of it.
      if (sub !== undefined) this.unsubscribe(sub);
      return;
    }
    this.sendBytes(bytes);
  }

  /** Sends a frame already encoded in the session's codec. */
  private sendBytes(bytes: Uint8Array): void {
    if (this.state === 'closed') return;
    this.lastSent = Date.now();
    this.connection.send(bytes);
  }

  /** Sends the error, then closes this connection. */
  private fatal(error: TauonError, closeCode: number): void {
    this.send({ type: 'error', code: error.code, message: error.message });
    this.close(closeCode, error.code);
  }

  private keepAlive(): void {
    const now = Date.now();
    if (now - this.lastReceived > this.host.heartbeatMs * HEARTBEAT_MISSES) {
      this.close(CloseCodes.heartbeatTimeout, 'no frame for three heartbeat intervals');
      return;
    }
    if (this.state === 'open' && now - this.lastSent >= this.host.heartbeatMs) {
      this.nonce += 1;
      this.send({ type: 'ping', nonce: this.nonce });
    }
  }

  private teardown(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearInterval(this.heartbeat);
    this.cancelExpiry?.();
    for (const subscription of this.subscriptions.values()) {
      subscription.close();
      if (subscription instanceof Subscription) this.host.unfollow(subscription);
    }
    this.subscriptions.clear();
    this.heldInput = undefined;
    this.drainWaiters = [];
    this.host.closed(this);
  }
}

/** Put in place of a held frame once taken, so that the array does not keep its bytes. */
const EMPTY_FRAME = new Uint8Array(0);

/**
 * Stands in for a subscription while its start position is being resolved: credit that arrives
 * meanwhile is kept, and an unsubscribe cancels it.
 */
class PendingSubscription {
  /** The subscribe's credit and what came since: capped at maxCredit as a running subscription's. */
  constructor(public credit: number) {}
  addCredit(n: number): void {
    this.credit += n;
  }
  get outstandingCredit(): number {
    return this.credit;
  }
  close(): void {}
}

/** The `error` frame of a failure, naming the request or subscription it is about. */
function errorFrameOf(error: TauonError, about: { id?: number; sub?: number } = {}): ServerFrame {
  return {
    type: 'error',
    ...about,
    code: error.code,
    message: error.message,
    ...(error.details === undefined ? {} : { details: { ...error.details } }),
  };
}

/** The request or subscription id of a frame that failed validation, to name it in the error. */
function idsOf(value: unknown): { id?: number; sub?: number } {
  if (typeof value !== 'object' || value === null) return {};
  const { id, sub } = value as { id?: unknown; sub?: unknown };
  return {
    ...(Number.isSafeInteger(id) && (id as number) >= 0 ? { id: id as number } : {}),
    ...(Number.isSafeInteger(sub) && (sub as number) >= 0 ? { sub: sub as number } : {}),
  };
}
