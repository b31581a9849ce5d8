import type { Channel, ChannelModel, Message, Options } from 'amqplib';
import { brokerTlsOptions, type BrokerCa } from './broker-tls.js';
import { amqplib } from './amqplib-driver.js';

/** Options of {@link BrokerLink.open}. */
export interface BrokerLinkOptions {
  /** How long the TCP connect and the AMQP handshake may take, in ms. */
  readonly connectTimeoutMs: number;
  /** Shown by the broker for this connection (`rabbitmqctl list_connections client_properties`). */
  readonly connectionName: string;
  /** The CA to trust for an `amqps://` broker, instead of the system's. */
  readonly ca?: BrokerCa | undefined;
}

/**
 * How many chunks amqplib buffers for the channel before a publish answers false (its default is
 * 1024). A chunk is a small message, or up to the broker's frame size (128 KiB) of a large one:
 * at 1024 that is up to 128 MiB held before the transport hears of it; at 32, up to 4 MiB. Only
 * then do the connections count what they add (AmqpConnection.bufferedAmount), so a low mark
 * does not slow small frames: each connection may still add its bound.
 */
const CHANNEL_HIGH_WATER_MARK = 32;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * One broker connection and the one channel the transport uses on it. Everything a session does
 * (declare, consume, publish, delete) goes through this channel, so a session's messages leave in
 * the order they were published. The link is up until the connection or the channel closes, for
 * whatever reason; then every `onDown` listener hears why, once, and the link stays down (a new
 * link is opened to go on). Nothing thrown by a listener reaches amqplib.
 */
export class BrokerLink {
  /** The amqplib connection (for diagnostics and fault tests: closing it drops the link). */
  readonly model: ChannelModel;
  /** The channel every operation of the transport uses. */
  readonly channel: Channel;

  readonly #downListeners = new Set<(why: string) => void>();
  readonly #returnListeners = new Map<string, Set<(message: Message) => void>>();
  #downReason: string | undefined;
  #lastError: Error | undefined;
  #closing: Promise<void> | undefined;
  /** amqplib's write buffer of the channel is full: it said so at a publish, and has not drained since. */
  #full = false;
  #drains = 0;
  #drainListeners: (() => void)[] = [];

  private constructor(model: ChannelModel, channel: Channel) {
    this.model = model;
    this.channel = channel;
    // Without 'error' listeners an error event would be thrown; 'close' follows and says it.
    model.on('error', (error: Error) => {
      this.#lastError ??= error;
    });
    channel.on('error', (error: Error) => {
      this.#lastError ??= error;
    });
    model.on('close', (error?: Error) => this.#goDown(error ?? this.#lastError));
    channel.on('close', () => this.#goDown(this.#lastError));
    channel.on('return', (message: Message) => this.#dispatchReturn(message));
    channel.on('drain', () => this.#drained());
  }

  /** Connects to the broker and opens the channel; rejects when either fails. */
  static async open(url: string, options: BrokerLinkOptions): Promise<BrokerLink> {
    const model = await amqplib().connect(url, {
      ...brokerTlsOptions(url, options.ca),
      timeout: options.connectTimeoutMs,
      // Frames are small and latency matters: no Nagle delay.
      noDelay: true,
      clientProperties: { connection_name: options.connectionName },
    });
    // Until the link is built, an error event must not be thrown as unhandled.
    const ignore = (): void => undefined;
    model.on('error', ignore);
    try {
      const channel = await model.createChannel({ highWaterMark: CHANNEL_HIGH_WATER_MARK });
      return new BrokerLink(model, channel);
    } catch (error) {
      await model.close().catch(ignore);
      throw error;
    } finally {
      model.off('error', ignore);
    }
  }

  /** True until the connection or the channel closed. */
  get up(): boolean {
    return this.#downReason === undefined;
  }

  /**
   * Calls `listener` once when the link goes down, with why (at once, in a microtask, when it is
   * already down).
   * @returns A function that removes the listener.
   */
  onDown(listener: (why: string) => void): () => void {
    const reason = this.#downReason;
    if (reason !== undefined) {
      queueMicrotask(() => listener(reason));
      return () => undefined;
    }
    this.#downListeners.add(listener);
    return () => this.#downListeners.delete(listener);
  }

  /**
   * Calls `listener` with every message the broker returns (published `mandatory`, and no queue
   * took it) that was published to `queue`.
   * @returns A function that removes the listener.
   */
  onReturn(queue: string, listener: (message: Message) => void): () => void {
    let listeners = this.#returnListeners.get(queue);
    if (listeners === undefined) {
      listeners = new Set();
      this.#returnListeners.set(queue, listeners);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#returnListeners.get(queue) === listeners) this.#returnListeners.delete(queue);
    };
  }

  /**
   * True while amqplib holds more for the channel than its high-water mark (a publish answered
   * false, as a stream's write does) and has not said 'drain' since: the broker or the network
   * is slower than the publishers. Publishing still works; it only grows the buffer.
   */
  get full(): boolean {
    return this.#full;
  }

  /** How many times the channel's write buffer has drained after being full. */
  get drains(): number {
    return this.#drains;
  }

  /** Calls `listener` once when the channel's write buffer drains, or the link goes down. */
  onDrain(listener: () => void): void {
    if (!this.#full || this.#downReason !== undefined) {
      queueMicrotask(listener);
      return;
    }
    this.#drainListeners.push(listener);
  }

  /**
   * Publishes `content` to `queue` through the default exchange. Never throws: on a link that is
   * down it does nothing and answers false (the link's `onDown` listeners hear about it).
   * @returns false when the link is down; otherwise true, whether or not amqplib's buffer is
   *   full (see {@link full}).
   */
  publish(queue: string, content: Buffer, options: Options.Publish): boolean {
    if (this.#downReason !== undefined) return false;
    try {
      if (!this.channel.sendToQueue(queue, content, options)) this.#full = true;
      return true;
    } catch {
      // The channel closed under us; its 'close' event takes the link down.
      return false;
    }
  }

  /**
   * Stops consuming `queue` and deletes it. Never rejects: when the link is down, the queue (an
   * exclusive one) went with the broker connection.
   */
  async deleteQueue(queue: string, consumerTag: string): Promise<void> {
    if (this.#downReason !== undefined) return;
    try {
      await this.channel.cancel(consumerTag);
      await this.channel.deleteQueue(queue);
    } catch {
      // The link went down meanwhile: see above.
    }
  }

  /** Closes the broker connection (which deletes its exclusive queues). Idempotent; never rejects. */
  close(): Promise<void> {
    this.#closing ??= this.model.close().catch(() => undefined);
    return this.#closing;
  }

  #goDown(error: Error | undefined): void {
    if (this.#downReason !== undefined) return;
    const why =
      this.#closing !== undefined
        ? 'broker connection closed'
        : error === undefined
          ? 'broker connection lost'
          : `broker connection lost: ${messageOf(error)}`;
    this.#downReason = why;
    // A channel closed alone (a channel error) would leave a connection nobody uses.
    void this.close();
    const listeners = [...this.#downListeners];
    this.#downListeners.clear();
    this.#returnListeners.clear();
    // Nothing more will drain: whoever waits for it goes on (and finds its connection closing).
    this.#drained();
    for (const listener of listeners) {
      try {
        listener(why);
      } catch (listenerError) {
        queueMicrotask(() => {
          throw listenerError;
        });
      }
    }
  }

  #drained(): void {
    if (this.#full) this.#drains += 1;
    this.#full = false;
    const listeners = this.#drainListeners;
    this.#drainListeners = [];
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  #dispatchReturn(message: Message): void {
    const listeners = this.#returnListeners.get(message.fields.routingKey);
    if (listeners === undefined) return;
    for (const listener of [...listeners]) {
      try {
        listener(message);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
