import { Client, type ClientConfig } from 'pg';
import { quoteIdentifier } from './names.js';

/** What a {@link CommitChannelListener} tells its owner. */
export interface CommitChannelHandlers {
  /** A commit was notified on the channel; `pos` is the last position it wrote. */
  readonly notified: (pos: number) => void;
  /**
   * The listener is (again) listening after its connection was lost: commits made meanwhile
   * were not notified, so the owner looks at the table for them.
   */
  readonly reconnected: () => void;
  /** Something went wrong that the listener recovers from by itself, for a warning. */
  readonly trouble: (message: string) => void;
}

/** The first wait before reconnecting, in ms; doubled per failed attempt up to the next. */
const FIRST_RETRY_MS = 100;
const LONGEST_RETRY_MS = 5_000;

/**
 * One dedicated connection that LISTENs on a commit channel (a pooled connection cannot: its
 * session changes hands). When the connection is lost it connects again, with a growing pause,
 * until it is stopped; after a reconnect the owner hears `reconnected` to catch up.
 */
export class CommitChannelListener {
  private client: Client | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempts = 0;

  private constructor(
    private readonly config: ClientConfig,
    private readonly channel: string,
    private readonly handlers: CommitChannelHandlers,
  ) {}

  /** Connects and LISTENs; resolves once listening, rejects when the first attempt fails. */
  static async start(config: ClientConfig, channel: string, handlers: CommitChannelHandlers): Promise<CommitChannelListener> {
    const listener = new CommitChannelListener(config, channel, handlers);
    await listener.connect();
    return listener;
  }

  /** Stops listening and closes the connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client(this.config);
    // Until connected, failures reject connect() below; afterwards they mean a lost connection.
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, undefined));
    client.on('notification', (message) => {
      if (message.channel !== this.channel) return;
      const pos = Number(message.payload);
      if (Number.isSafeInteger(pos) && pos > 0) this.handlers.notified(pos);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdentifier(this.channel)}`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
  }

  private lost(client: Client, error: Error | undefined): void {
    if (this.client !== client || this.stopped) return;
    this.client = undefined;
    client.removeAllListeners('notification');
    void client.end().catch(() => undefined);
    this.handlers.trouble(`the LISTEN connection was lost${error === undefined ? '' : `: ${error.message}`}; reconnecting`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = Math.min(FIRST_RETRY_MS * 2 ** this.attempts, LONGEST_RETRY_MS);
    this.attempts++;
    this.retryTimer = setTimeout(() => {
      this.connect().then(
        () => {
          if (this.stopped) return;
          this.attempts = 0;
          this.handlers.reconnected();
        },
        (error: unknown) => {
          this.handlers.trouble(`cannot LISTEN again: ${error instanceof Error ? error.message : String(error)}`);
          this.scheduleReconnect();
        },
      );
    }, delay);
  }
}
