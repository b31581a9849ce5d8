import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { TauonError } from '../../protocol/errors.js';
import type { ClientTransport, Connection } from '../transport.js';
import { CloseCodes } from '../transport.js';
import { AmqpConnection } from './amqp-connection.js';
import { amqplib } from './amqplib-driver.js';
import type { SessionQueues } from './amqp-connection.js';
import { DEFAULT_SERVICE, MessageTypes, closeHeaders, replyQueueName, sendableClose } from './binding.js';
import { BrokerLink } from './broker-link.js';
import type { BrokerCa } from './broker-tls.js';
import { redactUrl } from '../redact-url.js';

/** Options of {@link amqpTransport}. */
export interface AmqpTransportOptions {
  /**
   * The service to connect to: the name of the queue its servers consume.
   * @default 'tauon'
   */
  readonly service?: string;
  /**
   * How long connect() waits, in ms, for the broker connection and for a server to accept.
   * @default 10000
   */
  readonly connectTimeoutMs?: number;
  /**
   * The CA to trust for an `amqps://` broker instead of the system's (PEM), for a self-signed or
   * private certificate. Given with an `amqp://` URL, connect() fails.
   */
  readonly ca?: BrokerCa;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const EMPTY = Buffer.alloc(0);

/**
 * The broker connection under a transport's connections (amqplib's ChannelModel), as far as
 * diagnostics need it: closing it drops every connection of the transport.
 */
export interface BrokerConnection {
  close(): Promise<void>;
}

/** The shared broker link and how many connections (and connects under way) use it. */
interface SharedLink {
  readonly link: Promise<BrokerLink>;
  users: number;
}

/** Why a connect attempt failed. */
interface AttemptFailure {
  readonly why: string;
  readonly cause: unknown;
}

/** A link borrowed for one connection; `release` once the connection has ended. */
interface LinkLease {
  readonly link: Promise<BrokerLink>;
  release(): void;
}

/**
 * The AMQP client transport (protocol/SPEC.md, section 15.2). Each connection gets its own
 * exclusive reply queue and asks the service queue for a session; a server answers with the
 * session queue its frames go to. All connections of one transport share one broker connection
 * and one channel, opened by the first connect() and closed when the last connection ends. It
 * does not reconnect: a lost broker closes every connection with 1006, and the next connect()
 * opens a new broker connection (the Tauon client calls it when it reconnects). Node only.
 */
export class AmqpClientTransport implements ClientTransport {
  /** The broker URL (any password replaced by `***`) and the service. */
  readonly description: string;
  /** The service connected to. */
  readonly service: string;

  readonly #url: string;
  readonly #connectTimeoutMs: number;
  readonly #ca: BrokerCa | undefined;
  #shared: SharedLink | undefined;

  /** @throws MissingDriverError when amqplib is not installed */
  constructor(url: string, options: AmqpTransportOptions = {}) {
    // Loads amqplib now: a missing driver fails here, not at the first connect.
    amqplib();
    this.#url = url;
    this.service = options.service ?? DEFAULT_SERVICE;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#ca = options.ca;
    this.description = `${redactUrl(url)} (service ${this.service})`;
  }

  /**
   * The amqplib connection the open connections ride on, if there is one: for diagnostics and
   * fault tests (closing it drops every connection of this transport, as a lost broker would).
   */
  get brokerConnection(): Promise<BrokerConnection> | undefined {
    return this.#shared?.link.then((link) => link.model);
  }

  /**
   * Opens a session: rejects with a `closed` TauonError naming the URL when the broker cannot be
   * reached, no server consumes the service queue, or none accepts within `connectTimeoutMs`.
   */
  connect(): Promise<Connection> {
    return new Promise<Connection>((resolve, reject) => {
      const lease = this.#lease();
      const timeoutMs = this.#connectTimeoutMs;
      const attempt = new ConnectAttempt(this.service, timeoutMs, lease);
      const timer = setTimeout(() => attempt.fail(`no server accepted within ${timeoutMs} ms`), timeoutMs);
      attempt.outcome.then(
        (connection) => {
          clearTimeout(timer);
          resolve(connection);
        },
        ({ why, cause }: AttemptFailure) => {
          clearTimeout(timer);
          reject(new TauonError('closed', `cannot connect to ${this.description}: ${why}`, { cause }));
        },
      );
      attempt.start();
    });
  }

  /** Borrows the shared link, opening it when there is none. */
  #lease(): LinkLease {
    let shared = this.#shared;
    if (shared === undefined) {
      const link = BrokerLink.open(this.#url, {
        connectTimeoutMs: this.#connectTimeoutMs,
        connectionName: `tauon client (service ${this.service})`,
        ca: this.#ca,
      });
      const opened: SharedLink = { link, users: 0 };
      const forget = (): void => {
        if (this.#shared === opened) this.#shared = undefined;
      };
      // A link that failed or went down is not shared any more: the next connect opens a new one.
      link.then((up) => up.onDown(forget), forget);
      this.#shared = opened;
      shared = opened;
    }
    const lent = shared;
    lent.users++;
    let released = false;
    return {
      link: lent.link,
      release: () => {
        if (released) return;
        released = true;
        lent.users--;
        if (lent.users > 0) return;
        if (this.#shared === lent) this.#shared = undefined;
        lent.link.then(
          (link) => link.close(),
          () => undefined,
        );
      },
    };
  }
}

/**
 * One connect(): declares the reply queue, consumes it, sends the connect request and waits for
 * the accept. Whatever it set up is undone when it fails (or times out); an accept that comes
 * after that is answered with a close, so the server drops the session at once.
 */
class ConnectAttempt {
  readonly outcome: Promise<AmqpConnection>;

  readonly #service: string;
  readonly #timeoutMs: number;
  readonly #lease: LinkLease;
  readonly #replyQueue: string;
  readonly #consumerTag = `tauon.${randomUUID()}`;
  readonly #correlationId = randomUUID();
  readonly #undo: (() => void)[] = [];
  #link: BrokerLink | undefined;
  #connection: AmqpConnection | undefined;
  #settled = false;
  #resolve!: (connection: AmqpConnection) => void;
  #reject!: (failure: AttemptFailure) => void;

  constructor(service: string, timeoutMs: number, lease: LinkLease) {
    this.#service = service;
    this.#timeoutMs = timeoutMs;
    this.#lease = lease;
    this.#replyQueue = replyQueueName(service);
    this.outcome = new Promise<AmqpConnection>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  start(): void {
    this.#run().catch((error: unknown) => this.fail(error instanceof Error ? error.message : String(error), error));
  }

  /** Gives up: rejects `outcome` and undoes what was set up. Does nothing once settled. */
  fail(why: string, cause?: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    for (const step of this.#undo.reverse()) step();
    const link = this.#link;
    if (link === undefined) {
      this.#lease.release();
    } else {
      // The reply queue goes first, then the link if nobody else uses it.
      void link.deleteQueue(this.#replyQueue, this.#consumerTag).finally(() => this.#lease.release());
    }
    this.#reject({ why, cause });
  }

  async #run(): Promise<void> {
    const link = await this.#lease.link;
    if (this.#settled) return;
    this.#link = link;
    this.#undo.push(link.onDown((why) => this.fail(why)));
    // Exclusive: the reply queue goes with this client's broker connection.
    await link.channel.assertQueue(this.#replyQueue, { exclusive: true, autoDelete: true, durable: false });
    if (this.#settled) return;
    await link.channel.consume(this.#replyQueue, (message) => this.#onReply(message), {
      noAck: true,
      consumerTag: this.#consumerTag,
    });
    if (this.#settled) return;
    this.#undo.push(
      link.onReturn(this.#service, (returned) => {
        if (returned.properties.correlationId === this.#correlationId) {
          this.fail(`no queue for service "${this.#service}" (no server consumes it)`);
        }
      }),
    );
    link.publish(this.#service, EMPTY, {
      type: MessageTypes.connect,
      replyTo: this.#replyQueue,
      correlationId: this.#correlationId,
      // A request nobody took in time is dropped, not answered later.
      expiration: String(this.#timeoutMs),
      mandatory: true,
    });
  }

  /** The reply queue's consumer, before and after the accept. Never throws. */
  #onReply(message: ConsumeMessage | null): void {
    if (this.#connection !== undefined) {
      this.#connection.receive(message);
      return;
    }
    if (message === null) {
      this.fail('the broker cancelled the consumer of the reply queue');
      return;
    }
    const { type, replyTo, correlationId } = message.properties as {
      type?: unknown;
      replyTo?: unknown;
      correlationId?: unknown;
    };
    // Anything before the accept (such as the close of a server that gave the request back) is ignored.
    if (type !== MessageTypes.accept || typeof replyTo !== 'string' || replyTo === '') return;
    if (correlationId !== undefined && correlationId !== this.#correlationId) return;
    const link = this.#link;
    if (this.#settled || link === undefined) {
      // Accepted after this attempt gave up: tell the server, so it drops the session now.
      link?.publish(replyTo, EMPTY, {
        type: MessageTypes.close,
        headers: closeHeaders(sendableClose(CloseCodes.goingAway, 'connect abandoned')),
        replyTo: this.#replyQueue,
        mandatory: true,
      });
      return;
    }
    this.#settled = true;
    for (const step of this.#undo.reverse()) step();
    const queues: SessionQueues = { own: this.#replyQueue, consumerTag: this.#consumerTag, peer: replyTo };
    this.#connection = new AmqpConnection(link, queues, () => this.#lease.release());
    this.#resolve(this.#connection);
  }
}

/**
 * The AMQP client transport: connects to the servers of `service` through the broker at `url`.
 * connect() rejects with a `closed` TauonError naming the URL when the broker cannot be reached
 * or no server accepts within `connectTimeoutMs`. Node only.
 *
 * @example
 * ```ts
 * const client = await connect(amqpTransport('amqp://127.0.0.1', { service: 'orders' }));
 * ```
 */
export function amqpTransport(url: string, options: AmqpTransportOptions = {}): AmqpClientTransport {
  return new AmqpClientTransport(url, options);
}
