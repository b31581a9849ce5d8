import type { Channel, ChannelModel, RecoveringChannelModel } from 'amqplib';
import { amqplib } from './amqplib-driver.js';
import { TauonError } from '../../protocol/errors.js';
import { brokerTlsOptions, type BrokerCa } from './broker-tls.js';
import type { DiscoveryReconnectOptions } from './discovery-reconnect-options.js';
import { redactUrl } from '../redact-url.js';

const DEFAULT_INITIAL_DELAY_MS = 100;
const DEFAULT_MAX_DELAY_MS = 5_000;

/** What {@link DiscoveryLink.open} needs. */
export interface DiscoveryLinkOptions {
  /** The broker, as an `amqp://` URL. */
  readonly url: string;
  /** Shown in the broker's connection list (`connection_name`), for operators. */
  readonly connectionName: string;
  /** The CA to trust for an `amqps://` broker, instead of the system's. */
  readonly ca?: BrokerCa | undefined;
  /** How to reconnect after losing the broker. */
  readonly reconnect?: DiscoveryReconnectOptions | undefined;
  /**
   * Runs on each (re)connect with a fresh channel: declare what is needed and start using it. If
   * it rejects, the connection is dropped and tried again later (on the first connect,
   * {@link DiscoveryLink.open} rejects instead).
   */
  readonly onChannel: (channel: Channel) => Promise<void>;
  /** The channel given to `onChannel` is gone (closed by the broker, or its connection lost). */
  readonly onChannelLost: (channel: Channel) => void;
  /** A failure the link survives: a lost connection, a failed reconnect attempt. */
  readonly onError: (error: Error) => void;
}

/**
 * One broker connection with one channel that heals itself: after the connection or the channel
 * is lost it reconnects with exponential backoff (amqplib's own recovery) and hands a fresh
 * channel to `onChannel` again. The discovery announcer and directory each own one.
 */
export class DiscoveryLink {
  private closed: Promise<void> | undefined;

  private constructor(
    private readonly connection: RecoveringChannelModel,
    /** Shared with the channel handlers of {@link open}, which exist before the link does. */
    private readonly state: LinkState,
  ) {}

  /**
   * Connects and runs `onChannel` once.
   * @throws TauonError `closed` when the broker cannot be reached or `onChannel` failed; the
   *   first connection is not retried, so that a wrong URL fails at once.
   */
  static async open(options: DiscoveryLinkOptions): Promise<DiscoveryLink> {
    const state: LinkState = { closing: false, channel: undefined };
    const setup = async (model: ChannelModel): Promise<void> => {
      const channel = await model.createChannel();
      // Without an 'error' listener amqplib closes the whole connection on a channel error.
      channel.on('error', (error: Error) => options.onError(error));
      channel.once('close', () => {
        if (state.channel === channel) state.channel = undefined;
        options.onChannelLost(channel);
        // The broker closed the channel on a live connection (say, the exchange was deleted):
        // drop the connection too, so that recovery opens both again, with backoff.
        if (!state.closing) model.close().catch(() => undefined);
      });
      state.channel = channel;
      await options.onChannel(channel);
    };
    // Outside the try: a missing amqplib is said as it is, not as an unreachable broker.
    const { connect } = amqplib();
    let connection: RecoveringChannelModel;
    try {
      connection = await connect(options.url, {
        ...brokerTlsOptions(options.url, options.ca),
        clientProperties: { connection_name: options.connectionName },
        recovery: {
          initialDelay: options.reconnect?.initialDelayMs ?? DEFAULT_INITIAL_DELAY_MS,
          maxDelay: options.reconnect?.maxDelayMs ?? DEFAULT_MAX_DELAY_MS,
          initialMaxRetries: 0,
          maxRetries: Infinity,
          setup,
        },
      });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new TauonError('closed', `cannot open discovery on ${redactUrl(options.url)}: ${why}`, { cause: error });
    }
    // Without an 'error' listener an EventEmitter throws; every failure here is survivable.
    connection.on('error', (error: Error) => options.onError(error));
    connection.on('disconnect', (error: Error) => options.onError(error));
    connection.on('connect-failed', (error: Error) => options.onError(error));
    return new DiscoveryLink(connection, state);
  }

  /**
   * Stops reconnecting and closes the channel and the connection. Idempotent.
   * @param lastWords publishes a last message on the live channel, if there is one; closing the
   *   channel afterwards waits until the broker has taken it.
   */
  close(lastWords?: (channel: Channel) => void): Promise<void> {
    this.closed ??= this.closeOnce(lastWords);
    return this.closed;
  }

  private async closeOnce(lastWords: ((channel: Channel) => void) | undefined): Promise<void> {
    this.state.closing = true;
    const channel = this.state.channel;
    if (channel !== undefined && lastWords !== undefined) {
      try {
        lastWords(channel);
        // The broker answers channel.close only after the publishes before it: once this
        // resolves, the last words were routed. Bounded, for a broker that no longer answers.
        await withTimeout(channel.close(), LAST_WORDS_TIMEOUT_MS);
      } catch {
        // The connection went down meanwhile: there is no one left to say goodbye to.
      }
    }
    await this.connection.close();
  }
}

/** What the link and its channel handlers share. */
interface LinkState {
  /** Set by close(): from then on, a closed channel is the link's own doing. */
  closing: boolean;
  /** The channel of the current connection, once it is open. */
  channel: Channel | undefined;
}

/** How long close() waits for the broker to take the last words. */
const LAST_WORDS_TIMEOUT_MS = 2_000;

/** Settles like `promise`, or rejects after `ms`; the timer never outlives it. */
async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
