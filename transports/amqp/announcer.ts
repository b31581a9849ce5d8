import type { Channel, Options } from 'amqplib';
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { BadFrameError, TauonError } from '../../protocol/errors.js';
import {
  DEFAULT_ANNOUNCE_INTERVAL_MS,
  DEFAULT_DISCOVERY_EXCHANGE,
  DISCOVERY_CONTENT_TYPE,
  MAX_ANNOUNCE_INTERVAL_MS,
  MIN_ANNOUNCE_INTERVAL_MS,
  ServerAnnouncementSchema,
  encodeAnnouncement,
  encodeGoodbye,
  type ServerAnnouncement,
} from './discovery-announcement.js';
import { declareDiscoveryExchange } from './discovery-exchange.js';
import { amqplib } from './amqplib-driver.js';
import type { BrokerCa } from './broker-tls.js';
import { DiscoveryLink } from './discovery-link.js';
import type { DiscoveryReconnectOptions } from './discovery-reconnect-options.js';

/** Options of {@link ServerAnnouncer}. */
export interface ServerAnnouncerOptions {
  /** The broker, as an `amqp://` URL. */
  readonly url: string;
  /**
   * The fanout exchange to announce on; directories must listen on the same one.
   * @default 'tauon.discovery'
   */
  readonly exchange?: string;
  /**
   * How often to announce, in ms (10 ms to one hour). Directories expire a server after three
   * intervals without an announcement.
   * @default 2000
   */
  readonly intervalMs?: number;
  /**
   * What to announce; called for every announcement, so it may change over time. The announcer
   * adds `intervalMs` and `announcedAt`.
   */
  readonly announcement: () => Omit<ServerAnnouncement, 'announcedAt' | 'intervalMs'>;
  /** How to reconnect after losing the broker. */
  readonly reconnect?: DiscoveryReconnectOptions;
  /** The CA to trust for an `amqps://` broker instead of the system's (PEM). */
  readonly ca?: BrokerCa;
  /**
   * Failures the announcer survives: a lost connection, a failed reconnect attempt, an
   * announcement that `announcement()` could not produce (that round is skipped).
   * @default ignores them
   */
  readonly onError?: (error: Error) => void;
}

/** Announcements are liveness signals: transient, and useless once a newer one exists. */
const PUBLISH_OPTIONS: Options.Publish = { contentType: DISCOVERY_CONTENT_TYPE, deliveryMode: 1 };

/**
 * Announces a server on the broker's discovery exchange: once when it starts (and after every
 * reconnect), then every `intervalMs`, and a goodbye when it stops, so that directories
 * (`ServerDirectory`) drop it at once rather than after three silent intervals. It survives
 * losing the broker: it reconnects with backoff by itself and resumes announcing.
 *
 * ```ts
 * const announcer = new ServerAnnouncer({
 *   url: 'amqp://127.0.0.1',
 *   announcement: () => ({ name: 'orders', id: server.serverId, service: 'tauon',
 *     protocolVersion: PROTOCOL_VERSION, versions: [...SUPPORTED_VERSIONS], stores: ['lmdb'] }),
 * });
 * await announcer.start();
 * // ...
 * await announcer.stop();
 * ```
 */
export class ServerAnnouncer {
  private readonly exchange: string;
  private readonly intervalMs: number;
  private link: DiscoveryLink | undefined;
  /** The channel of the current connection; undefined while reconnecting. */
  private channel: Channel | undefined;
  private timer: NodeJS.Timeout | undefined;
  private started: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  /** The id of the last announcement sent: the one the goodbye names. */
  private announcedId: string | undefined;
  /** This announcer's process among servers that may share an id (a store's servers do): the directory's key. */
  private readonly instance = randomUUID();

  /**
   * @throws RangeError when `intervalMs` is not an integer from 10 ms to one hour.
   * @throws MissingDriverError when amqplib is not installed
   */
  constructor(private readonly options: ServerAnnouncerOptions) {
    // Loads amqplib now: a missing driver fails here, not at the first connect.
    amqplib();
    this.exchange = options.exchange ?? DEFAULT_DISCOVERY_EXCHANGE;
    this.intervalMs = options.intervalMs ?? DEFAULT_ANNOUNCE_INTERVAL_MS;
    const { intervalMs } = this;
    if (!Number.isInteger(intervalMs) || intervalMs < MIN_ANNOUNCE_INTERVAL_MS || intervalMs > MAX_ANNOUNCE_INTERVAL_MS) {
      throw new RangeError(
        `intervalMs must be an integer from ${MIN_ANNOUNCE_INTERVAL_MS} to ${MAX_ANNOUNCE_INTERVAL_MS}, got ${intervalMs}`,
      );
    }
  }

  /**
   * Connects, declares the exchange, announces once and then every `intervalMs`. Calling it
   * again returns the same promise.
   * @throws BadFrameError when `announcement()` gives an invalid announcement (checked before
   *   connecting).
   * @throws TauonError `closed` when the broker cannot be reached (the first connection is not
   *   retried), or when the announcer was stopped.
   */
  start(): Promise<void> {
    this.started ??= this.startOnce();
    return this.started;
  }

  /**
   * Stops announcing, says goodbye (when the broker is reachable), and closes the connection:
   * no timer and no socket is left. Idempotent; safe before, during or after start().
   */
  stop(): Promise<void> {
    this.stopped ??= this.stopOnce();
    return this.stopped;
  }

  private async startOnce(): Promise<void> {
    if (this.stopped !== undefined) throw new TauonError('closed', 'the announcer was stopped');
    const first = this.compose();
    this.link = await DiscoveryLink.open({
      url: this.options.url,
      connectionName: `tauon announcer ${first.name} ${first.id}`,
      reconnect: this.options.reconnect,
      ca: this.options.ca,
      onChannel: async (channel) => {
        await declareDiscoveryExchange(channel, this.exchange);
        if (this.stopped !== undefined) return;
        this.channel = channel;
        // Announce at once on every (re)connect: directories need not wait for the next tick.
        this.announce();
      },
      onChannelLost: (channel) => {
        if (this.channel === channel) this.channel = undefined;
      },
      onError: (error) => this.report(error),
    });
    if (this.stopped === undefined) this.timer = setInterval(() => this.announce(), this.intervalMs);
  }

  private async stopOnce(): Promise<void> {
    clearInterval(this.timer);
    // A start in flight still opens its link; wait for it so that this closes it too.
    await this.started?.catch(() => undefined);
    clearInterval(this.timer);
    const id = this.announcedId;
    this.channel = undefined;
    await this.link?.close((channel) => {
      if (id !== undefined) channel.publish(this.exchange, '', encodeGoodbye(id, this.instance), PUBLISH_OPTIONS);
    });
  }

  /** Publishes one announcement on the current channel; skipped while reconnecting. */
  private announce(): void {
    const channel = this.channel;
    if (channel === undefined || this.stopped !== undefined) return;
    try {
      const announcement = this.compose();
      channel.publish(this.exchange, '', encodeAnnouncement(announcement), PUBLISH_OPTIONS);
      this.announcedId = announcement.id;
    } catch (error) {
      // A broken announcement or a channel that just closed: the next round tries again.
      this.report(error);
    }
  }

  /** The announcement to send now, checked against the schema directories check it with. */
  private compose(): ServerAnnouncement {
    const parsed = ServerAnnouncementSchema.safeParse({
      instance: this.instance,
      ...this.options.announcement(),
      intervalMs: this.intervalMs,
      announcedAt: Date.now(),
    });
    if (!parsed.success) throw new BadFrameError(`invalid server announcement: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  }

  private report(error: unknown): void {
    const onError = this.options.onError;
    if (onError === undefined) return;
    try {
      onError(error instanceof Error ? error : new Error(String(error)));
    } catch {
      // A throwing error handler must not stop the announcements.
    }
  }
}
