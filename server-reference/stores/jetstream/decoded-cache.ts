import { decodeMessage, type DecodedMessage } from './message.js';
import type { RawMessage } from './reader.js';

/**
 * Recently decoded messages by JetStream sequence, least recently used first out, bounded by
 * the events they hold. Messages never change once stored, so a decoded one stays right; paged
 * reads that end inside a large message, and reads right behind the commit tail, find it here.
 * The events are shared between readers: nothing may change them.
 */
export class DecodedCache {
  private readonly messages = new Map<number, DecodedMessage>();
  private events = 0;

  constructor(
    /** Most events kept. */
    private readonly capacity: number,
  ) {}

  /** The decoded message with this JetStream sequence, if kept. */
  get(jsSeq: number): DecodedMessage | undefined {
    const message = this.messages.get(jsSeq);
    if (message !== undefined) {
      this.messages.delete(jsSeq);
      this.messages.set(jsSeq, message);
    }
    return message;
  }

  /** Decodes a message (or finds it decoded) and keeps it. */
  decode(raw: RawMessage): DecodedMessage {
    return this.get(raw.jsSeq) ?? this.keep(decodeMessage(raw.data, raw.jsSeq, raw.recorded));
  }

  /** Keeps a decoded message. */
  keep(message: DecodedMessage): DecodedMessage {
    if (message.total > this.capacity) return message;
    if (!this.messages.has(message.jsSeq)) this.events += message.total;
    this.messages.set(message.jsSeq, message);
    for (const [jsSeq, oldest] of this.messages) {
      if (this.events <= this.capacity) break;
      this.messages.delete(jsSeq);
      this.events -= oldest.total;
    }
    return message;
  }
}
