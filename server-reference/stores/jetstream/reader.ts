import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type MsgRequest,
  type StoredMsg,
} from '@nats-io/jetstream';
import { millisOfNanos, millisOfTimestamp } from './message.js';

/** A message of the JetStream stream, as the store reads it. */
export interface RawMessage {
  /** Its JetStream sequence. */
  readonly jsSeq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  /** When JetStream stored it, in ms since the epoch (rounded down). */
  readonly recorded: number;
}

/** Where a scan starts: at a JetStream sequence, or at the first message stored at or after a time. */
export type ScanStart = { readonly jsSeq: number } | { readonly time: number };

/** Called per message of a scan, in order; returning false ends the scan. */
export type ScanVisitor = (message: RawMessage) => boolean;

/** Most messages one pull asks for. */
const MAX_PULL = 512;
/** How long the server keeps a scan's consumer after its reader went away. */
const SCAN_CONSUMER_IDLE_MS = 30_000;
/** How long one pull may wait for messages the consumer said are there. */
const PULL_EXPIRES_MS = 10_000;
/** How long after its expiry a pull is given up for lost, in ms. */
const LATE_PULL_MARGIN_MS = 3_000;
/** Heartbeat the server sends during a pull; two missed ones end it (a dead consumer), in ms. */
const PULL_HEARTBEAT_MS = 1_000;

/**
 * Reads the JetStream stream that holds a store's messages: single messages by sequence or by
 * subject (STREAM.MSG.GET, served by the stream leader, so a read sees every acknowledged
 * publish), and ranges through short-lived consumers.
 */
export class JetStreamReader {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    /** The JetStream stream's name. */
    readonly streamName: string,
    /** For creating scan consumers: with a short time-out, as a scan can do without one. */
    private readonly consumerJsm: JetStreamManager = jsm,
  ) {}

  /** The message with this JetStream sequence. */
  async messageAt(jsSeq: number): Promise<RawMessage | undefined> {
    return rawOfStored(await this.jsm.streams.getMessage(this.streamName, { seq: jsSeq }));
  }

  /** The newest message on a subject (wildcards allowed). */
  async lastOf(filter: string): Promise<RawMessage | undefined> {
    return rawOfStored(await this.jsm.streams.getMessage(this.streamName, { last_by_subj: filter }));
  }

  /** The first message on a subject (wildcards allowed) at or after JetStream sequence `from`. */
  async nextOf(filter: string, from: number): Promise<RawMessage | undefined> {
    // nats-server 2.9 answers next_by_subj on STREAM.MSG.GET; the client's type lists it only
    // for the direct API, which reads from any replica (possibly one behind the leader).
    const query = { seq: Math.max(from, 1), next_by_subj: filter } as unknown as MsgRequest;
    return rawOfStored(await this.jsm.streams.getMessage(this.streamName, query));
  }

  /** The subjects on `filter` that hold messages (JetStream's per-subject state, all pages). */
  async subjects(filter: string): Promise<string[]> {
    const info = await this.jsm.streams.info(this.streamName, { subjects_filter: filter });
    return Object.keys(info.state.subjects ?? {});
  }

  /**
   * Visits the messages on `filter` from `start` in JetStream order, until `visit` returns false
   * or the last message on the filter when the scan began was visited.
   *
   * The fast way is one ephemeral consumer per scan (created, pulled in batches of about `hint`
   * messages, deleted): two round trips plus one per batch. nats-server 2.9 places such a
   * consumer on any replica of the stream, a dead one included while a cluster node is down, so
   * a consumer that cannot be created or stops sending is given up, and the scan goes on where it
   * was, one STREAM.MSG.GET (served by the stream leader) per message.
   */
  async scan(filter: string, start: ScanStart, visit: ScanVisitor, hint = 64): Promise<void> {
    const config: Partial<ConsumerConfig> = {
      ack_policy: AckPolicy.None,
      filter_subject: filter,
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: SCAN_CONSUMER_IDLE_MS * 1_000_000,
      ...('time' in start
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(start.time).toISOString() }
        : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(start.jsSeq, 1) }),
    };
    // The end is the last message on the filter, not the consumer's num_pending: nats-server 2.9
    // sometimes counts one message too many for a wildcard filter, and a pull for a message
    // that is not there waits until it expires.
    const [created, last] = await Promise.all([
      this.consumerJsm.consumers.add(this.streamName, config).catch(() => undefined),
      this.lastOf(filter),
    ]);
    let cursor = 'time' in start ? 0 : start.jsSeq - 1;
    let finished = false;
    let visitError: { error: unknown } | undefined;
    /** Visits one message; false once the scan is over (an error of `visit` ends it too). */
    const step = (raw: RawMessage): boolean => {
      if (raw.jsSeq <= cursor) return true;
      cursor = raw.jsSeq;
      try {
        finished = raw.jsSeq > last!.jsSeq || !visit(raw) || raw.jsSeq === last!.jsSeq;
      } catch (error) {
        visitError = { error };
        finished = true;
      }
      return !finished;
    };
    try {
      if (last === undefined) return;
      if ('time' in start ? last.recorded < start.time : last.jsSeq < start.jsSeq) return;
      if (created !== undefined) {
        const consumer = this.js.consumers.getConsumerFromInfo(created);
        const batch = Math.min(Math.max(hint, 1), MAX_PULL);
        /** The consumer's number of the last delivery received: they come 1, 2, 3, ... */
        let delivered = 0;
        try {
          while (!finished) {
            const messages = await consumer.fetch({ max_messages: batch, expires: PULL_EXPIRES_MS, idle_heartbeat: PULL_HEARTBEAT_MS });
            const release = endLatePull(messages, PULL_EXPIRES_MS);
            let received = 0;
            try {
              for await (const message of messages) {
                received++;
                // Deliveries lost in a dropped connection (no acks: the consumer moved on
                // regardless): go on without the consumer, below, from the last message visited.
                if (message.info.deliverySequence !== ++delivered) throw new Error('deliveries of the scan were lost');
                if (!step(rawOfJs(message))) break;
              }
            } finally {
              release();
            }
            if (received === 0) break;
          }
        } catch {
          // The consumer failed (its server went away, say) or lost deliveries: go on without it, below.
        }
        if (visitError !== undefined) throw visitError.error;
        if (finished) return;
      }
      // One message at a time from where the consumer left off (or from the start).
      let from = cursor + 1;
      if ('time' in start && cursor === 0) from = await this.firstAtOrAfter(filter, start.time, last);
      while (!finished && from <= last.jsSeq) {
        const raw = await this.nextOf(filter, from);
        if (raw === undefined) return;
        step(raw);
        if (visitError !== undefined) throw visitError.error;
        from = raw.jsSeq + 1;
      }
    } finally {
      if (created !== undefined) this.consumerJsm.consumers.delete(this.streamName, created.name).catch(() => undefined);
    }
  }

  /**
   * The first JetStream sequence on `filter` whose message was stored at or after `time`
   * (JetStream's timestamps do not decrease along the stream), by binary search; `last` is the
   * filter's last message, stored at or after `time`.
   */
  private async firstAtOrAfter(filter: string, time: number, last: RawMessage): Promise<number> {
    let low = 1;
    let high = last.jsSeq;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const probe = await this.nextOf(filter, middle);
      if (probe === undefined || probe.jsSeq >= high) high = middle;
      else if (probe.recorded >= time) high = probe.jsSeq;
      else low = probe.jsSeq + 1;
    }
    return low;
  }
}

/**
 * Ends a pull that outlives its own expiry by a margin: a pull request lost in a reconnect is
 * never answered, and its iterator would wait for ever. Returns the function that disarms it.
 */
export function endLatePull(messages: ConsumerMessages, expiresMs: number): () => void {
  const timer = setTimeout(() => messages.stop(new Error('a pull from JetStream was not answered')), expiresMs + LATE_PULL_MARGIN_MS);
  return () => clearTimeout(timer);
}

function rawOfStored(message: StoredMsg | null): RawMessage | undefined {
  if (message === null) return undefined;
  return {
    jsSeq: message.seq,
    subject: message.subject,
    data: message.data,
    recorded: millisOfTimestamp(message.timestamp),
  };
}

/** A consumer's message; its reply subject carries the sequence and the exact timestamp. */
export function rawOfJs(message: JsMsg): RawMessage {
  return {
    jsSeq: message.seq,
    subject: message.subject,
    data: message.data,
    recorded: millisOfNanos(message.timestampNanos),
  };
}
