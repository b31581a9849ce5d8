import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { TauonError } from '../../../protocol/errors.js';
import { endLatePull, rawOfJs, type JetStreamReader, type RawMessage } from './reader.js';

/** Most recent message timestamps kept for writers that ask after the fact. */
const RECORDED_KEPT = 65_536;
/** Messages one pull asks for. */
const PULL_BATCH = 1_024;
/** How long one pull stays open for new messages, in ms (then the next pull follows). */
const PULL_EXPIRES_MS = 5_000;
/** The server's heartbeat during a pull; two missed ones mean the consumer is gone, in ms. */
const PULL_HEARTBEAT_MS = 1_000;
/** How long the server keeps the consumer once the tail stopped pulling, in ms. */
const CONSUMER_IDLE_MS = 30_000;
/** Pause before the tail tries again after its consumer failed, in ms. */
const RETRY_DELAY_MS = 250;

/** A writer waiting until the tail has passed a JetStream sequence. */
interface Waiter {
  readonly jsSeq: number;
  readonly resolve: () => void;
  readonly reject: (error: TauonError) => void;
}

/**
 * Follows the store's JetStream stream from where it was when the store opened. Every message
 * is handed to `dispatch` once, in JetStream order, whoever published it: this process or
 * another server on the same JetStream. Writers wait here until their own message has been
 * dispatched, so that commit notifications reach listeners before the append that caused them
 * resolves.
 *
 * It pulls from an ephemeral consumer that starts after the last message dispatched. When that
 * consumer goes away (its server died, the connection dropped: heartbeats stop, or a pull
 * fails), the tail makes a new one from the same place; while none can be made (nats-server 2.9
 * may place it on a dead node of a cluster), it reads the new messages one by one from the
 * stream leader instead.
 *
 * The consumer delivers without acknowledgements, so a message the server sent into a dying
 * connection is lost to it. The tail notices: the consumer numbers its deliveries 1, 2, 3, ...
 * (a gap is a lost delivery), and after a reconnect (the lost deliveries may be the last ones)
 * it starts over from the last message it dispatched. JetStream sequences themselves may have
 * gaps (messages of other subjects, deleted ones).
 */
export class CommitTail {
  private dispatchedSeq: number;
  private readonly waiters: Waiter[] = [];
  private readonly recordedBySeq = new Map<number, number>();
  private messages: ConsumerMessages | undefined;
  private stopped = false;
  /** The connection came back since the consumer was made: what it sent meanwhile may be lost. */
  private reconnectedSince = false;
  private wake: (() => void) | undefined;
  private readonly running: Promise<void>;

  constructor(
    private readonly js: JetStreamClient,
    private readonly consumerJsm: JetStreamManager,
    private readonly reader: JetStreamReader,
    private readonly filter: string,
    /** The JetStream sequence the tail starts after (the stream's last when the store opened). */
    startAfter: number,
    private readonly dispatch: (message: RawMessage) => void,
  ) {
    this.dispatchedSeq = startAfter;
    this.running = this.follow();
  }

  /** The JetStream sequence of the last message dispatched. */
  get dispatched(): number {
    return this.dispatchedSeq;
  }

  /** Resolves once the message with this JetStream sequence (and all before it) was dispatched. */
  waitFor(jsSeq: number): Promise<void> {
    if (jsSeq <= this.dispatchedSeq) return Promise.resolve();
    if (this.stopped) return Promise.reject(new TauonError('internal', 'the jetstream store is closed'));
    return new Promise((resolve, reject) => this.waiters.push({ jsSeq, resolve, reject }));
  }

  /** When JetStream stored a recently dispatched message (ms since the epoch). */
  recordedOf(jsSeq: number): number | undefined {
    return this.recordedBySeq.get(jsSeq);
  }

  /**
   * The NATS connection was re-established: deliveries sent into the old one may be lost (and
   * with no later message, no gap would show it). The tail starts over from its last message.
   */
  reconnected(): void {
    this.reconnectedSince = true;
    this.messages?.stop(new Error('the connection to NATS was re-established'));
  }

  /** Stops following; waiters are rejected. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.messages?.close();
    await this.running;
    for (const waiter of this.waiters.splice(0)) {
      waiter.reject(new TauonError('internal', 'the jetstream store closed before its commit was confirmed'));
    }
  }

  private async follow(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.followWithConsumer();
      } catch (error) {
        if (this.stopped) return;
        process.emitWarning(`jetstream store: the commit tail lost its consumer and goes on: ${messageOf(error)}`, {
          code: 'TAUON_JETSTREAM_TAIL',
        });
      }
      if (this.stopped) return;
      try {
        // Whatever landed meanwhile, read directly, then a new consumer.
        await this.catchUpDirectly();
      } catch {
        // The stream leader is not reachable either; try again shortly.
      }
      await this.pause(RETRY_DELAY_MS);
    }
  }

  /** Pulls from a consumer of its own until it fails or the tail stops. */
  private async followWithConsumer(): Promise<void> {
    // The new consumer starts after the last message dispatched: it delivers whatever was lost.
    this.reconnectedSince = false;
    const info = await this.consumerJsm.consumers.add(this.reader.streamName, {
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.dispatchedSeq + 1,
      filter_subject: this.filter,
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: CONSUMER_IDLE_MS * 1_000_000,
    });
    try {
      const consumer = this.js.consumers.getConsumerFromInfo(info);
      /** The consumer's number of the last delivery received. */
      let delivered = 0;
      while (!this.stopped) {
        const messages = await consumer.fetch({ max_messages: PULL_BATCH, expires: PULL_EXPIRES_MS, idle_heartbeat: PULL_HEARTBEAT_MS });
        this.messages = messages;
        if (this.stopped || this.reconnectedSince) {
          await messages.close();
          if (this.stopped) break;
          throw new Error('the connection to NATS was re-established');
        }
        const release = endLatePull(messages, PULL_EXPIRES_MS);
        try {
          for await (const message of messages) {
            const number = message.info.deliverySequence;
            if (number <= delivered) continue;
            // A delivery lost on the way: a new consumer from the last message dispatched.
            if (number !== delivered + 1) throw new Error(`deliveries ${delivered + 1} to ${number - 1} of the consumer were lost`);
            delivered = number;
            const raw = rawOfJs(message);
            if (raw.jsSeq > this.dispatchedSeq) this.receive(raw);
          }
        } finally {
          release();
        }
      }
    } finally {
      this.messages = undefined;
      this.consumerJsm.consumers.delete(this.reader.streamName, info.name).catch(() => undefined);
    }
  }

  /**
   * Dispatches every message after the last dispatched one, one STREAM.MSG.GET each (the stream
   * leader's answer: the next message on the filter, whatever sequences lie between).
   */
  private async catchUpDirectly(): Promise<void> {
    while (!this.stopped) {
      const raw = await this.reader.nextOf(this.filter, this.dispatchedSeq + 1);
      if (raw === undefined) return;
      this.receive(raw);
    }
  }

  private receive(message: RawMessage): void {
    this.recordedBySeq.set(message.jsSeq, message.recorded);
    if (this.recordedBySeq.size > RECORDED_KEPT) {
      const oldest = this.recordedBySeq.keys().next();
      if (oldest.done !== true) this.recordedBySeq.delete(oldest.value);
    }
    try {
      this.dispatch(message);
    } catch (error) {
      process.emitWarning(`jetstream store: message ${message.jsSeq} could not be dispatched: ${messageOf(error)}`, {
        code: 'TAUON_JETSTREAM_TAIL',
      });
    }
    this.dispatchedSeq = message.jsSeq;
    let kept = 0;
    for (const waiter of this.waiters) {
      if (waiter.jsSeq <= this.dispatchedSeq) waiter.resolve();
      else this.waiters[kept++] = waiter;
    }
    this.waiters.length = kept;
  }

  /** Sleeps, unless the tail stops meanwhile. */
  private pause(ms: number): Promise<void> {
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
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
