import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager, StreamInfo } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { StoredEvent, StreamSummary } from '../../../protocol/frames.js';
import { TauonError } from '../../../protocol/errors.js';
import type { AppendOutcome, AppendRequest, Direction, EventStore } from '../event-store.js';
import { CommitListeners } from '../commit-listeners.js';
import type { IdClaims } from './claims.js';
import type { GroupStore } from '../../groups/group-store.js';
import type { ProjectionStore } from '../../projections/projection-store.js';
import type { JetStreamProjectionStore } from './jetstream-projection-store.js';
import { WriteHeads } from './heads.js';
import { DecodedCache } from './decoded-cache.js';
import { messageOfPosition, positionOf, readHeader, type DecodedMessage, type MessageHeader } from './message.js';
import type { JetStreamReader, RawMessage } from './reader.js';
import { filterOfPrefix, isValidSubjectPrefix, streamOfSubject, subjectMatches, subjectOfStream } from './subjects.js';
import type { CommitTail } from './tail.js';
import type { JetStreamWriter } from './writer.js';
import { compareNames } from '../name-order.js';
import { importDriver } from '../../../transports/optional-driver.js';
import { isStoreId, newStoreId } from '../store-identity.js';

/** The parts of the store that need the NATS client (nats-driver.ts). */
type NatsDriver = typeof import('./nats-driver.js');

/** The packages the JetStream store needs. */
const NATS_PACKAGES = ['@nats-io/transport-node', '@nats-io/jetstream', '@nats-io/kv'];

/**
 * Loads the NATS client and the parts of the store that use it, when a store is opened.
 * @throws MissingDriverError when one of NATS_PACKAGES is not installed
 */
function loadNatsDriver(): Promise<NatsDriver> {
  return importDriver('the JetStream store', NATS_PACKAGES, () => import('./nats-driver.js'));
}

/** Options of {@link JetStreamStore.open}. */
export interface JetStreamStoreOptions {
  /**
   * The JetStream stream that holds the events (created when missing). Letters, digits, `-`
   * and `_`. The KV buckets of event ids and of consumer groups are named after it: `<stream>_ids`
   * and `<stream>_groups`; so is the JetStream stream of projections, `<stream>_projections`
   * (subjects `_tauon_projections.<stream>.>`).
   * @default 'TAUON'
   */
  readonly stream?: string;
  /**
   * The first tokens of every subject of the store: Tauon stream `orders.1` is the subject
   * `<subjectPrefix>.orders.1`. Tokens of letters, digits, `-` and `_`, dot-separated.
   * @default 'tauon'
   */
  readonly subjectPrefix?: string;
  /**
   * Replicas of the JetStream stream and of the KV bucket, when this call creates them (an
   * existing stream keeps its own). 3 or 5 in a JetStream cluster; at most the cluster's size.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * JetStream's duplicate window for Nats-Msg-Id, when this call creates the stream, in ms.
   * @default 120000
   */
  readonly duplicateWindowMs?: number;
  /**
   * How long a publish waits for JetStream's ack before it is retried, in ms.
   * @default 5000
   */
  readonly publishTimeoutMs?: number;
  /**
   * How long an append waits for another server's in-flight write of the same event id to a
   * different stream before it fails with `overloaded`, in ms.
   * @default 2000
   */
  readonly claimWaitMs?: number;
  /**
   * The age after which an id claim whose message never landed counts as abandoned (its server
   * died mid-append) and is taken over, in ms. Keep it well above publishTimeoutMs.
   * @default 30000
   */
  readonly claimTimeoutMs?: number;
  /**
   * Streams whose heads (and, where content de-duplication asked for them, newest events per
   * key) a writer keeps in memory.
   * @default 10000
   */
  readonly cachedStreams?: number;
  /**
   * The NATS connection's name, shown by the server's monitoring.
   * @default 'tauon jetstream store'
   */
  readonly connectionName?: string;
}

const DEFAULTS = {
  stream: 'TAUON',
  subjectPrefix: 'tauon',
  replicas: 1,
  duplicateWindowMs: 120_000,
  publishTimeoutMs: 5_000,
  claimWaitMs: 2_000,
  claimTimeoutMs: 30_000,
  cachedStreams: 10_000,
  connectionName: 'tauon jetstream store',
} as const;

/**
 * Room kept below the server's max_payload for the NATS headers of a publish (Nats-Msg-Id holds
 * an event id of up to 256 characters, escaped: a few kB at most). The body's own header is
 * counted by the writer.
 */
const PAYLOAD_RESERVE = 8_192;
/** How long an append waits for the commit tail to pass its message before answering anyway. */
const TAIL_WAIT_MS = 10_000;
/** Most events of recently read or committed messages kept decoded. */
const DECODED_EVENTS_KEPT = 100_000;
/** How long a scan waits for its consumer to be created before it reads without one, in ms. */
const CONSUMER_CREATE_TIMEOUT_MS = 1_000;
/** Streams whose last read message the store remembers, to continue paged reads in one step. */
const LOCATED_KEPT = 1_024;
/** The largest time a JavaScript Date can hold (findByTime beyond it finds nothing). */
const MAX_DATE = 8.64e15;

/** JetStream's code for "stream name already in use with a different configuration". */
const STREAM_NAME_IN_USE = 10058;

/**
 * An EventStore on NATS JetStream, for several stateless reference servers in front of one
 * (possibly replicated) JetStream. See docs/jetstream.md.
 *
 * - One JetStream stream holds every Tauon stream, each on its own subject
 *   (`<subjectPrefix>.<stream name, a token per dot-separated segment>`).
 * - One JetStream message per append batch and stream carries the events of one or more
 *   appends (so an append is atomic without JetStream's batch publish, which 2.9 lacks),
 *   published with Nats-Expected-Last-Subject-Sequence (per-stream order and expected versions:
 *   two writers cannot both extend the same head) and Nats-Msg-Id (the duplicate window).
 * - `pos` is `jsSeq * 65536 + index in the message`: it increases, it is not dense.
 * - Event ids are claimed in a KV bucket before they are written (ids are unique store-wide
 *   and for ever, beyond the duplicate window), and looked up there.
 * - The store's identity (EventStore.id) is kept in the same bucket under the key `=store`,
 *   which no event id's key can be (an id's key has `=` only before two hex digits, or alone).
 * - onCommit follows the JetStream stream with an ordered consumer, so every server hears every
 *   commit, its own and the other servers', once, in position order.
 * - Consumer groups' coordination state is in a KV bucket of its own, `<stream>_groups`
 *   (JetStreamGroupStore, `groups`), shared by every server.
 * - Projections' records and values are in a JetStream stream of their own,
 *   `<stream>_projections`, one subject per projection (JetStreamProjectionStore, `projections`).
 *
 * @example
 * const store = await JetStreamStore.open('nats://127.0.0.1:4222', { stream: 'ORDERS', subjectPrefix: 'orders' });
 * await store.append([{ stream: 'orders.1', events: [{ id: 'e1', type: 'placed' }], expected: 'any', dedupe: false }]);
 * await store.close();
 */
export class JetStreamStore implements EventStore {
  readonly kind = 'jetstream';
  /** The identity kept in the KV bucket (STORE_ID_KEY). */
  readonly id: string;

  private readonly listeners = new CommitListeners();
  private readonly heads: WriteHeads;
  private readonly claims: IdClaims;
  private readonly tail: CommitTail;
  private readonly writer: JetStreamWriter;
  /** Per stream, the last message a read visited: where the next page of a stream starts. */
  private readonly located = new Map<string, { jsSeq: number; firstSeq: number; lastSeq: number }>();
  private readonly decoded = new DecodedCache(DECODED_EVENTS_KEPT);
  private closing: Promise<void> | undefined;
  /** Consumer groups' coordination state, in the bucket `<stream>_groups` (SPEC 17; JetStreamGroupStore). */
  readonly groups: GroupStore;
  /** Server-side projections' state, in the JetStream stream `<stream>_projections` (issue 18; JetStreamProjectionStore). */
  readonly projections: ProjectionStore;
  private readonly projectionStore: JetStreamProjectionStore;

  private constructor(
    nats: NatsDriver,
    private readonly nc: NatsConnection,
    private readonly reader: JetStreamReader,
    kv: KV,
    js: JetStreamClient,
    consumerJsm: JetStreamManager,
    /** The subject prefix of every message. */
    readonly subjectPrefix: string,
    lastSeq: number,
    options: Required<JetStreamStoreOptions>,
    id: string,
    groupsKv: KV,
    jsm: JetStreamManager,
  ) {
    this.id = id;
    this.groups = new nats.JetStreamGroupStore(groupsKv, () => {
      if (this.closing !== undefined) throw closedError();
    });
    this.projectionStore = new nats.JetStreamProjectionStore(
      {
        js,
        jsm,
        reader: new nats.JetStreamReader(js, jsm, projectionStreamOf(options.stream), consumerJsm),
        subjectRoot: projectionSubjectRootOf(options.stream),
        maxMessageBytes: (nc.info?.max_payload ?? 1024 * 1024) - PAYLOAD_RESERVE,
        publishTimeoutMs: options.publishTimeoutMs,
      },
      () => {
        if (this.closing !== undefined) throw closedError();
      },
    );
    this.projections = this.projectionStore;
    this.heads = new WriteHeads(reader, subjectPrefix, options.cachedStreams);
    this.claims = new nats.IdClaims(kv, reader, subjectPrefix, this.decoded);
    this.tail = new nats.CommitTail(js, consumerJsm, reader, `${subjectPrefix}.>`, lastSeq, (raw) => this.dispatch(raw));
    this.writer = new nats.JetStreamWriter(
      { js, reader, heads: this.heads, claims: this.claims, tail: this.tail, subjectPrefix },
      {
        maxMessageBytes: (nc.info?.max_payload ?? 1024 * 1024) - PAYLOAD_RESERVE,
        publishTimeoutMs: options.publishTimeoutMs,
        claimWaitMs: options.claimWaitMs,
        claimTimeoutMs: options.claimTimeoutMs,
        tailWaitMs: TAIL_WAIT_MS,
      },
    );
    this.watchConnection().catch(() => undefined);
  }

  /** The JetStream stream's name. */
  get streamName(): string {
    return this.reader.streamName;
  }

  /**
   * Connects to NATS at `url` (`nats://host:port`, credentials in the URL if the server wants
   * them; several comma-separated URLs for the nodes of a cluster) and opens the store, creating its JetStream stream and KV bucket when missing.
   * Several processes may open the same store at once; each hears the others' commits.
   */
  static async open(url: string, options: JetStreamStoreOptions = {}): Promise<JetStreamStore> {
    const settings = { ...DEFAULTS, ...definedOnly(options) } as Required<JetStreamStoreOptions>;
    validate(settings);
    const nats = await loadNatsDriver();
    let nc: NatsConnection | undefined;
    try {
      nc = await nats.connect({
        servers: serversOf(url),
        name: settings.connectionName,
        noAsyncTraces: true,
        maxReconnectAttempts: -1,
      });
      const js = nats.jetstream(nc, { timeout: settings.publishTimeoutMs });
      const jsm = await nats.jetstreamManager(nc, { timeout: settings.publishTimeoutMs });
      const info = await ensureStream(nats, jsm, settings);
      const kv = await ensureBucket(nats, js, settings, bucketOf(settings.stream), `Tauon event-id claims of the event store ${settings.stream}`);
      const groupsKv = await ensureBucket(
        nats,
        js,
        settings,
        groupBucketOf(settings.stream),
        `Tauon consumer groups of the event store ${settings.stream}`,
      );
      await ensureProjectionStream(nats, jsm, settings);
      const id = await keepStoreId(kv);
      // Scans give up on a consumer that is slow to be created (see JetStreamReader.scan).
      const consumerJsm = await nats.jetstreamManager(nc, { timeout: CONSUMER_CREATE_TIMEOUT_MS, checkAPI: false });
      const reader = new nats.JetStreamReader(js, jsm, settings.stream, consumerJsm);
      return new JetStreamStore(nats, nc, reader, kv, js, consumerJsm, settings.subjectPrefix, info.state.last_seq, settings, id, groupsKv, jsm);
    } catch (error) {
      await nc?.close().catch(() => undefined);
      if (error instanceof TauonError) throw error;
      throw new TauonError('internal', `cannot open the jetstream store at ${redactNatsUrl(url)}: ${messageOf(error)}`, {
        cause: error,
      });
    }
  }

  /**
   * Deletes a store's JetStream streams and KV buckets: every event, consumer group and projection in it. For tests and for
   * tearing a deployment down; nothing else uses it.
   */
  static async destroy(url: string, options: Pick<JetStreamStoreOptions, 'stream'> = {}): Promise<void> {
    const stream = options.stream ?? DEFAULTS.stream;
    const nats = await loadNatsDriver();
    const nc = await nats.connect({ servers: serversOf(url), noAsyncTraces: true });
    try {
      const jsm = await nats.jetstreamManager(nc);
      for (const name of [stream, `KV_${bucketOf(stream)}`, `KV_${groupBucketOf(stream)}`, projectionStreamOf(stream)]) {
        await jsm.streams.delete(name).catch((error: unknown) => {
          if (!(error instanceof nats.JetStreamApiError && error.status === 404)) throw error;
        });
      }
    } finally {
      await nc.close();
    }
  }

  append(requests: readonly AppendRequest[]): Promise<AppendOutcome[]> {
    if (this.closing !== undefined) return Promise.reject(closedError());
    if (requests.length === 0) return Promise.resolve([]);
    // No atomic check of a condition here (docs/jetstream.md); the server never sends one, and a
    // caller of the store that does gets a refusal, not an unconditional write.
    if (requests.some((request) => request.condition !== undefined)) {
      return Promise.reject(new TauonError('unsupported', 'the jetstream store cannot check an append\'s condition atomically'));
    }
    return this.writer.append(requests);
  }

  readStream(stream: string, from: number, direction: Direction, limit: number): Promise<StoredEvent[]> {
    return this.run(async () => {
      if (limit <= 0) return [];
      const subject = subjectOfStream(this.subjectPrefix, stream);
      if (direction === 'forward' && from <= 1) return this.readStreamFrom(stream, subject, 1, 1, Number.MAX_SAFE_INTEGER, limit);
      if (direction === 'backward' && from < 1) return [];
      const last = await this.lastMessageOf(subject);
      if (last === undefined) return [];
      if (direction === 'forward') {
        if (from > last.lastSeq) return [];
        const start = await this.messageHolding(stream, subject, from, last);
        return this.readStreamFrom(stream, subject, start, from, Number.MAX_SAFE_INTEGER, limit);
      }
      const top = Math.min(from, last.lastSeq);
      const bottom = Math.max(1, top - limit + 1);
      const start = await this.messageHolding(stream, subject, bottom, last);
      return (await this.readStreamFrom(stream, subject, start, bottom, top, limit)).reverse();
    });
  }

  readAll(from: number, direction: Direction, limit: number, prefix?: string): Promise<StoredEvent[]> {
    return this.run(async () => {
      if (limit <= 0) return [];
      const filter = filterOfPrefix(this.subjectPrefix, prefix);
      const selects = this.selectorOf(prefix);
      if (direction === 'forward') {
        const result: StoredEvent[] = [];
        await this.visitMessages(
          filter,
          Math.max(1, messageOfPosition(from)),
          (message) => {
            if (!selects(message.stream)) return true;
            for (const event of message.events) {
              if (event.pos < from) continue;
              result.push(event);
              if (result.length >= limit) return false;
            }
            return true;
          },
          limit,
        );
        return result;
      }
      if (from < 1) return [];
      const head = await this.reader.lastOf(`${this.subjectPrefix}.>`);
      if (head === undefined) return [];
      // Backward: read windows of messages forward, newest window first, until enough events.
      const result: StoredEvent[] = [];
      let top = Math.min(messageOfPosition(from), head.jsSeq);
      let window = limit;
      while (top >= 1 && result.length < limit) {
        const bottom = Math.max(1, top - window + 1);
        const chunk: StoredEvent[] = [];
        const windowTop = top;
        await this.visitMessages(
          filter,
          bottom,
          (message) => {
            if (message.jsSeq > windowTop) return false;
            if (selects(message.stream)) for (const event of message.events) if (event.pos <= from) chunk.push(event);
            return message.jsSeq < windowTop;
          },
          window,
        );
        for (let i = chunk.length - 1; i >= 0 && result.length < limit; i--) result.push(chunk[i]!);
        top = bottom - 1;
        window *= 4;
      }
      return result;
    });
  }

  findEvent(id: string): Promise<StoredEvent | undefined> {
    return this.run(() => this.claims.find(id));
  }

  findByTime(time: number, stream?: string, prefix?: string): Promise<StoredEvent | undefined> {
    return this.run(async () => {
      if (time > MAX_DATE) return undefined;
      const filter = stream !== undefined ? subjectOfStream(this.subjectPrefix, stream) : filterOfPrefix(this.subjectPrefix, prefix);
      const selects = stream !== undefined ? (name: string) => name === stream : this.selectorOf(prefix);
      let found: StoredEvent | undefined;
      // JetStream finds the first message stored at or after the time (deliver by start time);
      // recorded is that time rounded down to the ms, so the two orders agree.
      await this.reader.scan(filter, time <= 0 ? { jsSeq: 1 } : { time }, (raw) => {
        const message = this.decoded.decode(raw);
        if (!selects(message.stream)) return true;
        found = message.events[0];
        return false;
      });
      return found;
    });
  }

  streamInfo(stream: string): Promise<StreamSummary | undefined> {
    return this.run(async () => {
      const last = await this.lastMessageOf(subjectOfStream(this.subjectPrefix, stream));
      if (last === undefined) return undefined;
      return {
        stream,
        head: last.lastSeq,
        count: last.lastSeq,
        tx: last.lastTx,
        lastPos: positionOf(last.jsSeq, last.total - 1),
        lastRecorded: last.recorded,
      };
    });
  }

  listStreams(prefix: string, after: string | undefined, limit: number): Promise<StreamSummary[]> {
    return this.run(async () => {
      if (limit <= 0) return [];
      // JetStream counts messages per subject: its subject list is the stream list.
      const info = await this.reader.subjects(filterOfPrefix(this.subjectPrefix, prefix));
      const names: string[] = [];
      for (const subject of info) {
        const name = safeStreamOf(this.subjectPrefix, subject);
        if (name === undefined || !name.startsWith(prefix)) continue;
        if (after !== undefined && compareNames(name, after) <= 0) continue;
        names.push(name);
      }
      names.sort(compareNames);
      const summaries = await Promise.all(names.slice(0, limit).map((name) => this.streamInfo(name)));
      return summaries.filter((summary): summary is StreamSummary => summary !== undefined);
    });
  }

  surface(stream: string): Promise<StoredEvent[]> {
    return this.run(async () => {
      const newest = new Map<string, StoredEvent>();
      await this.reader.scan(
        subjectOfStream(this.subjectPrefix, stream),
        { jsSeq: 1 },
        (raw) => {
          for (const event of this.decoded.decode(raw).events) {
            if (event.key === undefined) continue;
            // Moved to the end: the map stays in the order of each key's newest event, which
            // is seq order, and needs no sort of every key at the end (one piece of work).
            newest.delete(event.key);
            newest.set(event.key, event);
          }
          return true;
        },
        256,
      );
      return [...newest.values()];
    });
  }

  headPosition(): Promise<number> {
    return this.run(async () => {
      const last = await this.reader.lastOf(`${this.subjectPrefix}.>`);
      if (last === undefined) return 0;
      return positionOf(last.jsSeq, readHeader(last.data, last.jsSeq).total - 1);
    });
  }

  onCommit(listener: (events: readonly StoredEvent[]) => void): () => void {
    return this.listeners.add(listener);
  }

  onCommitDuration(listener: (seconds: number) => void): () => void {
    return this.writer.commitDurations.add(listener);
  }

  /** Answers the appends in flight, stops following commits and closes the connection. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.writer.idle();
      await this.projectionStore.idle();
      await this.tail.stop();
      this.listeners.clear();
      await this.nc.close();
    })();
    return this.closing;
  }

  /** Tells the commit tail when the connection comes back (it ends when the connection closes). */
  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) if (status.type === 'reconnect') this.tail.reconnected();
  }

  /** A message the commit tail passes on: update the writers' cache, tell the listeners. */
  private dispatch(raw: RawMessage): void {
    const message = this.decoded.decode(raw);
    this.heads.apply(message);
    this.listeners.notify(message.events);
  }

  /** The events of `stream` with seq in [from, to], at most `limit`, scanning from message `start`. */
  private async readStreamFrom(
    stream: string,
    subject: string,
    start: number,
    from: number,
    to: number,
    limit: number,
  ): Promise<StoredEvent[]> {
    const result: StoredEvent[] = [];
    let last: MessageHeader & { jsSeq: number } | undefined;
    await this.visitMessages(
      subject,
      start,
      (message) => {
        last = message;
        for (const event of message.events) {
          if (event.seq < from) continue;
          if (event.seq > to) return false;
          result.push(event);
          if (result.length >= limit) return false;
        }
        return message.lastSeq < to;
      },
      limit,
    );
    if (last !== undefined) this.remember(stream, last);
    return result;
  }

  /**
   * The JetStream sequence of the message of `stream` that holds `seq` (1 <= seq <= last.lastSeq),
   * or one before it: by the message a previous read ended on, else by binary search over
   * JetStream sequences (each probe the first message on the subject at or after the middle).
   */
  private async messageHolding(
    stream: string,
    subject: string,
    seq: number,
    last: MessageHeader & { jsSeq: number },
  ): Promise<number> {
    if (seq >= last.firstSeq) return last.jsSeq;
    const known = this.located.get(stream);
    if (known !== undefined && known.jsSeq < last.jsSeq) {
      if (seq >= known.firstSeq && seq <= known.lastSeq) return known.jsSeq;
      if (seq === known.lastSeq + 1) return known.jsSeq + 1;
    }
    // The message sought is in [low, high); `low` never passes it, so a scan from `low` is right.
    let low = 1;
    let high = last.jsSeq;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const probe = await this.reader.nextOf(subject, middle);
      if (probe === undefined || probe.jsSeq >= high) {
        high = middle;
        continue;
      }
      const header = readHeader(probe.data, probe.jsSeq);
      if (header.firstSeq > seq) high = middle;
      else if (seq <= header.lastSeq) return probe.jsSeq;
      else low = probe.jsSeq + 1;
    }
    return low;
  }

  private remember(stream: string, message: MessageHeader & { jsSeq: number }): void {
    this.located.delete(stream);
    this.located.set(stream, { jsSeq: message.jsSeq, firstSeq: message.firstSeq, lastSeq: message.lastSeq });
    if (this.located.size > LOCATED_KEPT) {
      const oldest = this.located.keys().next();
      if (oldest.done !== true) this.located.delete(oldest.value);
    }
  }

  private async lastMessageOf(subject: string): Promise<(MessageHeader & { jsSeq: number; recorded: number }) | undefined> {
    const raw = await this.reader.lastOf(subject);
    if (raw === undefined) return undefined;
    return { ...readHeader(raw.data, raw.jsSeq), jsSeq: raw.jsSeq, recorded: raw.recorded };
  }

  /** Whether a stream's name starts with `prefix`. */
  private selectorOf(prefix: string | undefined): (stream: string) => boolean {
    if (prefix === undefined || prefix === '') return () => true;
    return (stream) => stream.startsWith(prefix);
  }

  /**
   * Visits the decoded messages on `filter` from JetStream sequence `start` on, in order, until
   * `visit` returns false. A first message still decoded from an earlier read is taken from
   * memory; the rest come from a scan.
   */
  private async visitMessages(
    filter: string,
    start: number,
    visit: (message: DecodedMessage) => boolean,
    hint: number,
  ): Promise<void> {
    let from = start;
    const first = this.decoded.get(start);
    if (first !== undefined && subjectMatches(filter, subjectOfStream(this.subjectPrefix, first.stream))) {
      if (!visit(first)) return;
      from = start + 1;
    }
    await this.reader.scan(filter, { jsSeq: from }, (raw) => visit(this.decoded.decode(raw)), hint);
  }

  private async run<T>(read: () => Promise<T>): Promise<T> {
    if (this.closing !== undefined) throw closedError();
    try {
      return await read();
    } catch (error) {
      if (error instanceof TauonError) throw error;
      throw new TauonError('internal', `jetstream store: ${messageOf(error)}`, { cause: error });
    }
  }
}

/** The stream of a subject, or undefined for a subject this store did not write. */
function safeStreamOf(prefix: string, subject: string): string | undefined {
  try {
    return streamOfSubject(prefix, subject);
  } catch {
    return undefined;
  }
}

/** The KV bucket of a store's event-id claims. */
function bucketOf(stream: string): string {
  return `${stream}_ids`;
}

/** The KV bucket of a store's consumer groups. */
function groupBucketOf(stream: string): string {
  return `${stream}_groups`;
}

async function ensureStream(nats: NatsDriver, jsm: JetStreamManager, settings: Required<JetStreamStoreOptions>): Promise<StreamInfo> {
  const subjects = `${settings.subjectPrefix}.>`;
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(settings.stream);
  } catch (error) {
    if (!(error instanceof nats.JetStreamApiError && error.status === 404)) throw error;
    info = await jsm.streams.add({
      name: settings.stream,
      description: 'Tauon event store: one message per commit and Tauon stream',
      subjects: [subjects],
      retention: nats.RetentionPolicy.Limits,
      storage: nats.StorageType.File,
      num_replicas: settings.replicas,
      duplicate_window: settings.duplicateWindowMs * 1_000_000,
      // The log is append-only: positions and claims refer to messages by sequence for ever.
      deny_delete: true,
      deny_purge: true,
    });
  }
  if (!info.config.subjects?.includes(subjects)) {
    throw new TauonError(
      'internal',
      `JetStream stream ${settings.stream} exists with subjects ${JSON.stringify(info.config.subjects ?? [])}, not ${subjects}`,
    );
  }
  return info;
}

/** The JetStream stream of a store's projections. */
function projectionStreamOf(stream: string): string {
  return `${stream}_projections`;
}

/**
 * The first tokens of the subjects of a store's projections: named after the store's stream,
 * so that the projection streams of stores in one JetStream never overlap.
 */
function projectionSubjectRootOf(stream: string): string {
  return `${PROJECTION_SUBJECTS}.${stream}`;
}

/** The first token of every projection subject (no store's subject prefix may start with it). */
const PROJECTION_SUBJECTS = '_tauon_projections';

/** Creates the JetStream stream of projections when missing (a store opened before projections gets it then). */
async function ensureProjectionStream(nats: NatsDriver, jsm: JetStreamManager, settings: Required<JetStreamStoreOptions>): Promise<void> {
  const name = projectionStreamOf(settings.stream);
  try {
    await jsm.streams.info(name);
    return;
  } catch (error) {
    if (!(error instanceof nats.JetStreamApiError && error.status === 404)) throw error;
  }
  try {
    await jsm.streams.add({
      name,
      description: `Tauon projections of the event store ${settings.stream}: one subject per projection`,
      subjects: [`${projectionSubjectRootOf(settings.stream)}.>`],
      retention: nats.RetentionPolicy.Limits,
      storage: nats.StorageType.File,
      num_replicas: settings.replicas,
      duplicate_window: settings.duplicateWindowMs * 1_000_000,
      // Reads go to the stream leader, which has every acknowledged write.
      allow_direct: false,
      // Messages go only by purges of what a snapshot or reset replaced.
      deny_delete: true,
    });
  } catch (error) {
    // Another server created it in between.
    if (!(error instanceof nats.JetStreamApiError && error.code === STREAM_NAME_IN_USE)) throw error;
  }
}

async function ensureBucket(
  nats: NatsDriver,
  js: JetStreamClient,
  settings: Required<JetStreamStoreOptions>,
  bucket: string,
  description: string,
): Promise<KV> {
  const kvm = new nats.Kvm(js);
  try {
    return await kvm.create(bucket, {
      history: 1,
      replicas: settings.replicas,
      storage: nats.StorageType.File,
      // Reads go to the stream leader, which has every acknowledged write.
      allow_direct: false,
      description,
    });
  } catch (error) {
    // The bucket exists with another configuration (replicas, say): use it as it is.
    if (error instanceof nats.JetStreamApiError && error.code === STREAM_NAME_IN_USE) return kvm.open(bucket, { allow_direct: false });
    throw error;
  }
}

/** Where the bucket of id claims keeps the store's identity; encodeToken never makes this key. */
const STORE_ID_KEY = '=store';

/**
 * The identity kept in the bucket, or a new one kept now (a new store, or one made before
 * identities). `create` is a compare-and-set: of servers opening the store at once, one
 * writes it and every one reads that one back.
 */
async function keepStoreId(kv: KV): Promise<string> {
  const kept = async (): Promise<string | undefined> => {
    const entry = await kv.get(STORE_ID_KEY);
    const value = entry !== null && entry.operation === 'PUT' ? entry.string() : undefined;
    return isStoreId(value) ? value : undefined;
  };
  const existing = await kept();
  if (existing !== undefined) return existing;
  const made = newStoreId();
  try {
    await kv.create(STORE_ID_KEY, made);
    return made;
  } catch (error) {
    // Another server kept one first: read it (or fail with why the create failed).
    const other = await kept();
    if (other === undefined) throw error;
    return other;
  }
}

function validate(settings: Required<JetStreamStoreOptions>): void {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(settings.stream)) {
    throw new TauonError('internal', `jetstream store: the stream name ${JSON.stringify(settings.stream)} must be letters, digits, - and _`);
  }
  if (!isValidSubjectPrefix(settings.subjectPrefix)) {
    throw new TauonError(
      'internal',
      `jetstream store: the subject prefix ${JSON.stringify(settings.subjectPrefix)} must be dot-separated tokens of letters, digits, - and _`,
    );
  }
  if (settings.subjectPrefix.split('.')[0] === PROJECTION_SUBJECTS) {
    throw new TauonError('internal', `jetstream store: the subject prefix may not start with ${PROJECTION_SUBJECTS}, the subjects of projections`);
  }
  if (!Number.isInteger(settings.replicas) || settings.replicas < 1 || settings.replicas > 5) {
    throw new TauonError('internal', `jetstream store: replicas must be 1 to 5, not ${settings.replicas}`);
  }
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** The servers of a URL that may list several, comma-separated (the nodes of a cluster). */
function serversOf(url: string): string[] {
  return url
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** A `nats://user:password@host` URL without its secret, for errors. */
export function redactNatsUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    else if (parsed.username !== '') parsed.username = '***';
    return parsed.toString();
  } catch {
    return url.includes('@') ? '(a NATS URL with credentials)' : url;
  }
}

function closedError(): TauonError {
  return new TauonError('internal', 'the jetstream store is closed');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
