import type { Channel, ConsumeMessage } from 'amqplib';
import { Subject, type Observable } from 'rxjs';
import { BadFrameError, TauonError } from '../../protocol/errors.js';
import {
  DEFAULT_ANNOUNCE_INTERVAL_MS,
  DEFAULT_DISCOVERY_EXCHANGE,
  EXPIRY_INTERVALS,
  directoryKey,
  parseDiscoveryMessage,
  type ServerAnnouncement,
} from './discovery-announcement.js';
import { declareDiscoveryExchange } from './discovery-exchange.js';
import { amqplib } from './amqplib-driver.js';
import type { BrokerCa } from './broker-tls.js';
import { DiscoveryLink } from './discovery-link.js';
import type { DiscoveryReconnectOptions } from './discovery-reconnect-options.js';

/** Options of {@link ServerDirectory}. */
export interface ServerDirectoryOptions {
  /** The broker, as an `amqp://` URL. */
  readonly url: string;
  /**
   * The fanout exchange servers announce on.
   * @default 'tauon.discovery'
   */
  readonly exchange?: string;
  /** How to reconnect after losing the broker. */
  readonly reconnect?: DiscoveryReconnectOptions;
  /** The CA to trust for an `amqps://` broker instead of the system's (PEM). */
  readonly ca?: BrokerCa;
  /**
   * Failures the directory survives: a lost connection, a failed reconnect attempt, a message on
   * the exchange that is not a valid announcement (it is ignored).
   * @default ignores them
   */
  readonly onError?: (error: Error) => void;
}

/** The most servers a directory keeps; announcements of further ones are ignored. */
export const MAX_DIRECTORY_ENTRIES = 10_000;

/** One known server: its last announcement, and when it expires (monotonic clock, ms). */
interface Entry {
  readonly announcement: ServerAnnouncement;
  readonly expiresAt: number;
}

/**
 * The live servers on a broker, kept from their announcements (see `ServerAnnouncer`): it binds
 * its own exclusive, auto-delete queue to the discovery exchange, keeps every server it hears
 * from, and drops one at its goodbye, or when three of its own intervals pass without an
 * announcement (checked by a timer, not only when messages arrive). Expiry runs on this
 * process's monotonic clock from the time an announcement arrived, so clock differences between
 * machines do not matter. It reconnects after losing the broker; servers it stops hearing from
 * meanwhile expire as usual and come back with their next announcement.
 *
 * ```ts
 * const directory = new ServerDirectory({ url: 'amqp://127.0.0.1' });
 * directory.changes$.subscribe((servers) => console.log(servers.map((s) => s.name)));
 * await directory.start();
 * // ...
 * await directory.close();
 * ```
 */
export class ServerDirectory {
  private readonly exchange: string;
  private readonly entries = new Map<string, Entry>();
  private readonly changesSubject = new Subject<ServerAnnouncement[]>();
  /**
   * The live servers, emitted on every change: a server appears, leaves, expires, or announces
   * something different (a new `announcedAt` alone is no change). Hot: subscribe before
   * start() to see every change; {@link servers} gives the list at any time. Completes on close().
   */
  readonly changes$: Observable<ServerAnnouncement[]> = this.changesSubject.asObservable();
  private link: DiscoveryLink | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  /** When the expiry timer fires (monotonic clock, ms). */
  private expiryAt = Infinity;
  private started: Promise<void> | undefined;
  private closed: Promise<void> | undefined;

  /** @throws MissingDriverError when amqplib is not installed */
  constructor(private readonly options: ServerDirectoryOptions) {
    // Loads amqplib now: a missing driver fails here, not at the first connect.
    amqplib();
    this.exchange = options.exchange ?? DEFAULT_DISCOVERY_EXCHANGE;
  }

  /**
   * Connects, declares the exchange and starts listening. Calling it again returns the same
   * promise.
   * @throws TauonError `closed` when the broker cannot be reached (the first connection is not
   *   retried), or when the directory was closed.
   */
  start(): Promise<void> {
    this.started ??= this.startOnce();
    return this.started;
  }

  /** The live servers, sorted by name then id. Each call returns fresh copies. */
  servers(): ServerAnnouncement[] {
    const now = performance.now();
    return [...this.entries.values()]
      .filter((entry) => entry.expiresAt > now)
      .map((entry) => copyOf(entry.announcement))
      .sort((a, b) => compare(a.name, b.name) || compare(a.id, b.id) || compare(a.instance ?? '', b.instance ?? ''));
  }

  /**
   * Stops listening and closes the connection (its queue goes with it): no timer and no socket
   * is left, {@link servers} is empty and {@link changes$} completes. Idempotent.
   */
  close(): Promise<void> {
    this.closed ??= this.closeOnce();
    return this.closed;
  }

  private async startOnce(): Promise<void> {
    if (this.closed !== undefined) throw new TauonError('closed', 'the directory was closed');
    this.link = await DiscoveryLink.open({
      url: this.options.url,
      connectionName: 'tauon discovery directory',
      reconnect: this.options.reconnect,
      ca: this.options.ca,
      onChannel: (channel) => this.listen(channel),
      onChannelLost: () => undefined,
      onError: (error) => this.report(error),
    });
  }

  private async closeOnce(): Promise<void> {
    // A start in flight still opens its link; wait for it so that this closes it too.
    await this.started?.catch(() => undefined);
    await this.link?.close();
    clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
    this.entries.clear();
    this.changesSubject.complete();
  }

  /** Declares this connection's queue, binds it to the exchange and consumes it. */
  private async listen(channel: Channel): Promise<void> {
    await declareDiscoveryExchange(channel, this.exchange);
    // Server-named, exclusive and auto-delete: it lives exactly as long as this connection.
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
    await channel.bindQueue(queue, this.exchange, '');
    await channel.consume(
      queue,
      (message) => {
        // null: the broker cancelled the consumer (its queue was deleted). Closing the channel
        // makes the link reconnect, which declares a new queue.
        if (message === null) channel.close().catch(() => undefined);
        else this.receive(message);
      },
      { noAck: true, exclusive: true },
    );
  }

  private receive(message: ConsumeMessage): void {
    if (this.closed !== undefined) return;
    const parsed = parseDiscoveryMessage(message.content);
    if (parsed === undefined) {
      this.report(new BadFrameError(`ignored a message on ${this.exchange} that is not a valid discovery message`));
      return;
    }
    if (parsed.kind === 'goodbye') {
      if (this.entries.delete(directoryKey(parsed))) this.changed();
      return;
    }
    const { announcement } = parsed;
    const key = directoryKey(announcement);
    const known = this.entries.get(key);
    if (known === undefined && this.entries.size >= MAX_DIRECTORY_ENTRIES) return;
    const expiresAt = performance.now() + EXPIRY_INTERVALS * announcement.intervalMs;
    this.entries.set(key, { announcement, expiresAt });
    this.scheduleExpiry(expiresAt);
    if (known === undefined || !sameServer(known.announcement, announcement)) this.changed();
  }

  /** Makes sure the expiry timer fires no later than `at`. */
  private scheduleExpiry(at: number): void {
    // A timer that fires early finds nothing to drop and sets itself again; one that would fire
    // too late is replaced.
    if (this.expiryTimer !== undefined && this.expiryAt <= at) return;
    clearTimeout(this.expiryTimer);
    this.expiryAt = at;
    this.expiryTimer = setTimeout(() => this.expire(), Math.max(1, Math.ceil(at - performance.now())));
  }

  /** Drops the entries whose time has passed and sets the timer for the next one. */
  private expire(): void {
    this.expiryTimer = undefined;
    this.expiryAt = Infinity;
    if (this.closed !== undefined) return;
    const now = performance.now();
    let dropped = false;
    let next = Infinity;
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt <= now) {
        this.entries.delete(id);
        dropped = true;
      } else {
        next = Math.min(next, entry.expiresAt);
      }
    }
    if (next !== Infinity) this.scheduleExpiry(next);
    if (dropped) this.changed();
  }

  private changed(): void {
    this.changesSubject.next(this.servers());
  }

  private report(error: unknown): void {
    const onError = this.options.onError;
    if (onError === undefined) return;
    try {
      onError(error instanceof Error ? error : new Error(String(error)));
    } catch {
      // A throwing error handler must not stop the directory.
    }
  }
}

/** Options of {@link discoverServers}. */
export interface DiscoverServersOptions {
  /**
   * The fanout exchange servers announce on.
   * @default 'tauon.discovery'
   */
  readonly exchange?: string;
  /**
   * How long to listen, in ms: a little more than one announcement interval, so that every live
   * server announced at least once.
   * @default 2500
   */
  readonly waitMs?: number;
  /** The CA to trust for an `amqps://` broker instead of the system's (PEM). */
  readonly ca?: BrokerCa;
}

/** A little more than the default announcement interval. */
const DEFAULT_DISCOVERY_WAIT_MS = DEFAULT_ANNOUNCE_INTERVAL_MS + 500;

/**
 * Lists the live servers on a broker, once: listens on the discovery exchange for `waitMs`, then
 * returns what it heard (sorted by name, then id) and closes everything it opened.
 *
 * ```ts
 * const servers = await discoverServers('amqp://127.0.0.1');
 * // [{ name: 'tauon', id: '…', service: 'tauon', protocolVersion: 1, versions: [1], stores: ['lmdb'], … }]
 * ```
 * @throws TauonError `closed` when the broker cannot be reached.
 */
export async function discoverServers(url: string, options: DiscoverServersOptions = {}): Promise<ServerAnnouncement[]> {
  const directory = new ServerDirectory({ url, exchange: options.exchange, ...(options.ca === undefined ? {} : { ca: options.ca }) });
  try {
    await directory.start();
    await new Promise((resolve) => setTimeout(resolve, options.waitMs ?? DEFAULT_DISCOVERY_WAIT_MS));
    return directory.servers();
  } finally {
    await directory.close();
  }
}

/** Whether two announcements describe the same server the same way, `announcedAt` aside. */
function sameServer(a: ServerAnnouncement, b: ServerAnnouncement): boolean {
  return (
    a.id === b.id &&
    a.instance === b.instance &&
    a.name === b.name &&
    a.service === b.service &&
    a.protocolVersion === b.protocolVersion &&
    a.intervalMs === b.intervalMs &&
    sameList(a.versions, b.versions) &&
    sameList(a.stores, b.stores)
  );
}

function sameList<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

function copyOf(announcement: ServerAnnouncement): ServerAnnouncement {
  return { ...announcement, versions: [...announcement.versions], stores: [...announcement.stores] };
}

/** Code-unit order, the same in every locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
