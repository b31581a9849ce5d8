import type { StoredEvent } from '../../../protocol/frames.js';
import { decodeMessage, readHeader } from './message.js';
import type { JetStreamReader } from './reader.js';
import { subjectOfStream } from './subjects.js';

/**
 * What a writer needs of a stream to plan appends to it: its last message's JetStream sequence
 * (what the next publish expects as the subject's last), the seq and tx of its last event, and,
 * for content de-duplication, the newest event of each key.
 */
export interface WriteHead {
  /** JetStream sequence of the stream's last message; 0 when it has none. */
  readonly jsSeq: number;
  /** Seq of the stream's last event (0 when empty). */
  readonly head: number;
  /** The stream's last transaction (0 when empty). */
  readonly tx: number;
  /** The newest event of each key, when loaded (it costs a read of the whole stream). */
  readonly keys: ReadonlyMap<string, StoredEvent> | undefined;
}

/** A message as the cache applies it (decoded from JetStream, or as this process wrote it). */
export interface HeadUpdate {
  readonly stream: string;
  readonly jsSeq: number;
  readonly prev: number;
  readonly lastSeq: number;
  readonly lastTx: number;
  /** Its events (only those with a key matter here). */
  readonly events: readonly StoredEvent[];
}

interface MutableHead {
  jsSeq: number;
  head: number;
  tx: number;
  keys: Map<string, StoredEvent> | undefined;
}

/**
 * The writers' cache of stream heads, least recently used first out. It is a cache of the
 * JetStream stream, never the truth: every publish states the JetStream sequence the cache
 * believes is the subject's last, so a stale entry costs a rejected publish and a catch-up read,
 * never a wrong write. Entries advance by messages applied in the subject's chain (`prev` of a
 * message must be the entry's `jsSeq`), from this process's publishes and from the commit tail.
 */
export class WriteHeads {
  private readonly heads = new Map<string, MutableHead>();

  constructor(
    private readonly reader: JetStreamReader,
    private readonly subjectPrefix: string,
    /** Most streams kept. */
    private readonly capacity: number,
  ) {}

  /** The stream's head, from the cache or JetStream; with the newest event per key if asked. */
  async get(stream: string, withKeys: boolean): Promise<WriteHead> {
    const cached = this.heads.get(stream);
    if (cached !== undefined && (!withKeys || cached.keys !== undefined)) {
      this.touch(stream, cached);
      return cached;
    }
    return this.load(stream, withKeys);
  }

  /** Brings the cached head up to the stream's last message (reading only what is new to it). */
  async catchUp(stream: string): Promise<void> {
    const cached = this.heads.get(stream);
    if (cached === undefined) return;
    let broken = false;
    await this.reader.scan(subjectOfStream(this.subjectPrefix, stream), { jsSeq: cached.jsSeq + 1 }, (raw) => {
      const message = decodeMessage(raw.data, raw.jsSeq, raw.recorded);
      if (message.prev !== cached.jsSeq) {
        broken = true;
        return false;
      }
      advance(cached, message);
      return true;
    });
    if (broken) this.heads.delete(stream);
  }

  /**
   * Whether the message `jsSeq` (0: none) is the stream's last in JetStream right now. A writer
   * passes the head it decided on, not the cached one: the commit tail may move the cache on
   * while the question is in flight.
   */
  async isLast(stream: string, jsSeq: number): Promise<boolean> {
    const last = await this.reader.lastOf(subjectOfStream(this.subjectPrefix, stream));
    return (last?.jsSeq ?? 0) === jsSeq;
  }

  /** Applies a message of a stream if it follows the cached head; a gap drops the entry. */
  apply(update: HeadUpdate): void {
    const cached = this.heads.get(update.stream);
    if (cached === undefined || update.jsSeq <= cached.jsSeq) return;
    if (update.prev !== cached.jsSeq) {
      this.heads.delete(update.stream);
      return;
    }
    advance(cached, update);
  }

  private async load(stream: string, withKeys: boolean): Promise<WriteHead> {
    const subject = subjectOfStream(this.subjectPrefix, stream);
    const loaded: MutableHead = { jsSeq: 0, head: 0, tx: 0, keys: withKeys ? new Map() : undefined };
    if (withKeys) {
      await this.reader.scan(
        subject,
        { jsSeq: 1 },
        (raw) => {
          advance(loaded, decodeMessage(raw.data, raw.jsSeq, raw.recorded));
          return true;
        },
        256,
      );
    } else {
      const last = await this.reader.lastOf(subject);
      if (last !== undefined) {
        const header = readHeader(last.data, last.jsSeq);
        loaded.jsSeq = last.jsSeq;
        loaded.head = header.lastSeq;
        loaded.tx = header.lastTx;
      } else {
        // An empty stream's keys are known: there are none.
        loaded.keys = new Map();
      }
    }
    this.touch(stream, loaded);
    return loaded;
  }

  private touch(stream: string, head: MutableHead): void {
    this.heads.delete(stream);
    this.heads.set(stream, head);
    while (this.heads.size > this.capacity) {
      const oldest = this.heads.keys().next();
      if (oldest.done === true) break;
      this.heads.delete(oldest.value);
    }
  }
}

function advance(head: MutableHead, update: Omit<HeadUpdate, 'stream'>): void {
  head.jsSeq = update.jsSeq;
  head.head = update.lastSeq;
  head.tx = update.lastTx;
  if (head.keys !== undefined) {
    for (const event of update.events) if (event.key !== undefined) head.keys.set(event.key, event);
  }
}
