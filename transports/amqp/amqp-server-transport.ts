import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { TauonError } from '../../protocol/errors.js';
import type { Connection, ServerTransport } from '../transport.js';
import { CloseCodes } from '../transport.js';
import { AmqpConnection } from './amqp-connection.js';
import { amqplib } from './amqplib-driver.js';
import { DEFAULT_SERVICE, MessageTypes, readConnectRequest, sessionQueueName } from './binding.js';
import type { ConnectRequest } from './binding.js';
import { BrokerLink } from './broker-link.js';
import type { BrokerCa } from './broker-tls.js';
import { redactUrl } from '../redact-url.js';
import { reconnectDelay } from './reconnect-delay.js';
import type { ReconnectOptions } from './reconnect-delay.js';

/** Options of {@link AmqpServerTransport}. */
export interface AmqpServerTransportOptions {
  /** The broker, such as `amqp://guest:guest@127.0.0.1:5672`. */
  readonly url: string;
  /**
   * The service name: the queue clients send their connect requests to. Servers of one service
   * share it, and new sessions spread across them.
   * @default 'tauon'
   */
  readonly service?: string;
  /**
   * How many connect requests this server takes from the service queue before it has answered
   * them (AMQP `basic.qos`).
   * @default 32
   */
  readonly prefetch?: number;
  /** How the transport waits between attempts to reach the broker again after losing it. */
  readonly reconnect?: ReconnectOptions;
  /**
   * How long connecting to the broker may take, in ms.
   * @default 10000
   */
  readonly connectTimeoutMs?: number;
  /**
   * The CA to trust for an `amqps://` broker instead of the system's (PEM), for a self-signed or
   * private certificate. Given with an `amqp://` URL, listen() fails.
   */
  readonly ca?: BrokerCa;
}

const DEFAULT_PREFETCH = 32;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/**
 * The service queue is deleted by the broker once no server has consumed it for this long, so a
 * service that is gone leaves nothing behind, while a server restarting within it finds the
 * connect requests that waited.
 */
export const SERVICE_QUEUE_EXPIRES_MS = 60_000;

const EMPTY = Buffer.alloc(0);

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The AMQP server transport (protocol/SPEC.md, section 15.2): consumes the service queue and
 * opens a session for each connect request, with a session queue of its own for the client's
 * frames. Several servers may consume one service queue; each session stays with the server that
 * accepted it. After losing the broker, every open connection closes with 1006 and the transport
 * reconnects by itself, with backoff, and takes connect requests again. Node only.
 *
 * @example
 * ```ts
 * const transport = new AmqpServerTransport({ url: 'amqp://127.0.0.1', service: 'orders' });
 * await server.listen(transport);
 * const client = await connect(amqpTransport('amqp://127.0.0.1', { service: 'orders' }));
 * ```
 */
export class AmqpServerTransport implements ServerTransport {
  /** The service name (the service queue's name). */
  readonly service: string;
  /** The broker URL (any password replaced by `***`) and the service, for logs and errors. */
  readonly description: string;

  readonly #url: string;
  readonly #ca: BrokerCa | undefined;
  readonly #prefetch: number;
  readonly #reconnect: ReconnectOptions;
  readonly #connectTimeoutMs: number;
  readonly #open = new Set<AmqpConnection>();
  /** Connect requests being answered: close() waits for them. */
  readonly #accepting = new Set<Promise<void>>();
  #onConnection: ((connection: Connection) => void) | undefined;
  /** The link while it is up and consuming the service queue. */
  #link: { readonly link: BrokerLink; readonly consumerTag: string } | undefined;
  #connecting: Promise<void> | undefined;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #failedAttempts = 0;
  #closing: Promise<void> | undefined;

  /** @throws MissingDriverError when amqplib is not installed */
  constructor(options: AmqpServerTransportOptions) {
    // Loads amqplib now: a missing driver fails here, not at the first connect.
    amqplib();
    this.#url = options.url;
    this.#ca = options.ca;
    this.service = options.service ?? DEFAULT_SERVICE;
    this.description = `${redactUrl(options.url)} (service ${this.service})`;
    this.#prefetch = options.prefetch ?? DEFAULT_PREFETCH;
    this.#reconnect = options.reconnect ?? {};
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  /** True while the transport is connected to the broker and consuming the service queue. */
  get connected(): boolean {
    return this.#link !== undefined;
  }

  /** How many sessions are open. */
  get connectionCount(): number {
    return this.#open.size;
  }

  /**
   * Connects to the broker and starts taking connect requests. Rejects with a `closed`
   * TauonError when the broker cannot be reached now; once listening, a lost broker is reached
   * again by the transport itself.
   */
  async listen(onConnection: (connection: Connection) => void): Promise<void> {
    if (this.#closing !== undefined) {
      throw new TauonError('closed', `AMQP transport on ${this.description} is closed`);
    }
    if (this.#onConnection !== undefined) {
      throw new TauonError('internal', `AMQP transport on ${this.description} is already listening`);
    }
    this.#onConnection = onConnection;
    try {
      await this.#attach();
    } catch (error) {
      this.#onConnection = undefined;
      throw new TauonError('closed', `cannot listen on ${this.description}: ${messageOf(error)}`, { cause: error });
    }
  }

  /**
   * Stops taking connect requests (those not answered yet go back to the service queue for
   * another server), closes every open connection with 1001 (going away), deletes their session
   * queues, and closes the broker connection. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#closeAll();
    return this.#closing;
  }

  async #closeAll(): Promise<void> {
    this.#onConnection = undefined;
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    await this.#connecting?.catch(() => undefined);
    const attached = this.#link;
    if (attached !== undefined) {
      try {
        await attached.link.channel.cancel(attached.consumerTag);
      } catch {
        // The link is down: nothing is delivered any more anyway.
      }
    }
    await Promise.all([...this.#accepting]);
    const open = [...this.#open];
    for (const connection of open) connection.close(CloseCodes.goingAway, 'server closing');
    await Promise.all(open.map((connection) => connection.closed));
    this.#link = undefined;
    // Closing the channel returns any request still unacknowledged to the queue.
    await attached?.link.close();
  }

  /** Opens a link, declares and consumes the service queue, and keeps the link as the current one. */
  #attach(): Promise<void> {
    const attaching = (async () => {
      const link = await BrokerLink.open(this.#url, {
        connectTimeoutMs: this.#connectTimeoutMs,
        connectionName: `tauon server (service ${this.service})`,
        ca: this.#ca,
      });
      try {
        const consumerTag = await this.#consumeServiceQueue(link);
        if (this.#closing !== undefined) {
          await link.close();
          return;
        }
        this.#link = { link, consumerTag };
        link.onDown(() => this.#detach(link));
      } catch (error) {
        await link.close();
        throw error;
      }
    })();
    this.#connecting = attaching;
    return attaching.finally(() => {
      if (this.#connecting === attaching) this.#connecting = undefined;
    });
  }

  async #consumeServiceQueue(link: BrokerLink): Promise<string> {
    const { channel } = link;
    await channel.prefetch(this.#prefetch);
    await channel.assertQueue(this.service, { durable: false, expires: SERVICE_QUEUE_EXPIRES_MS });
    const { consumerTag } = await channel.consume(this.service, (message) => this.#onRequest(link, message), {
      noAck: false,
    });
    return consumerTag;
  }

  /** Declares and consumes the service queue again on `link`; drops the link if that fails. */
  async #resubscribe(link: BrokerLink): Promise<void> {
    if (this.#closing !== undefined || this.#link?.link !== link) return;
    try {
      const consumerTag = await this.#consumeServiceQueue(link);
      if (this.#link?.link === link) this.#link = { link, consumerTag };
    } catch {
      // The reconnect loop starts over from a new link.
      await link.close();
    }
  }

  /** The link went down: its connections close themselves (1006); reach the broker again. */
  #detach(link: BrokerLink): void {
    if (this.#link?.link !== link) return;
    this.#link = undefined;
    if (this.#closing === undefined) this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const delay = reconnectDelay(this.#failedAttempts, this.#reconnect);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#closing !== undefined) return;
      this.#attach().then(
        () => {
          this.#failedAttempts = 0;
        },
        () => {
          this.#failedAttempts++;
          if (this.#closing === undefined) this.#scheduleReconnect();
        },
      );
    }, delay);
  }

  /** The service queue's consumer: nothing may throw out of it. */
  #onRequest(link: BrokerLink, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer: someone deleted the service queue. Open sessions do
      // not need it; declare it again and consume it.
      void this.#resubscribe(link);
      return;
    }
    try {
      const request = readConnectRequest(message.properties);
      if ('invalid' in request) {
        link.channel.nack(message, false, false);
        return;
      }
      if (this.#onConnection === undefined) {
        // Closing: another server of the service may take it.
        link.channel.nack(message, false, true);
        return;
      }
      const accepting = this.#accept(link, message, request);
      this.#accepting.add(accepting);
      void accepting.finally(() => this.#accepting.delete(accepting));
    } catch {
      // Only a channel that closed under us throws here; the broker requeues what was not acked.
    }
  }

  /** Opens the session for one connect request, answers it, and hands the connection on. */
  async #accept(link: BrokerLink, message: ConsumeMessage, request: ConnectRequest): Promise<void> {
    const queues = { own: sessionQueueName(this.service), consumerTag: `tauon.${randomUUID()}`, peer: request.replyTo };
    const connection = new AmqpConnection(link, queues, () => this.#open.delete(connection));
    try {
      // Exclusive: the session queue goes with this server's broker connection.
      await link.channel.assertQueue(queues.own, { exclusive: true, autoDelete: true, durable: false });
      await link.channel.consume(queues.own, (message) => connection.receive(message), {
        noAck: true,
        consumerTag: queues.consumerTag,
      });
    } catch {
      // The link went down half-way: the request goes back to the queue with the channel, and the
      // connection closes itself through the link's onDown.
      return;
    }
    const onConnection = this.#onConnection;
    try {
      if (onConnection === undefined) {
        // Closed meanwhile: another server of the service may take the request.
        link.channel.nack(message, false, true);
        connection.close(CloseCodes.goingAway, 'server closing');
        return;
      }
      link.publish(request.replyTo, EMPTY, {
        type: MessageTypes.accept,
        replyTo: queues.own,
        ...(request.correlationId === undefined ? {} : { correlationId: request.correlationId }),
        mandatory: true,
      });
      link.channel.ack(message);
    } catch {
      // The channel closed under us: the connection closes itself through the link's onDown.
      return;
    }
    this.#open.add(connection);
    try {
      onConnection(connection);
    } catch (error) {
      // One connection's failure must not take the server down; the peer learns why.
      connection.close(CloseCodes.internal, `connection handler failed: ${messageOf(error)}`);
    }
  }
}
