import { Packr, Unpackr, type Options } from 'msgpackr';
import type { StoredEvent } from '../../../protocol/frames.js';
import { TauonError } from '../../../protocol/errors.js';
import { unpackMultiplePlain } from '../../../protocol/msgpack-codec.js';
import { storedEvent } from '../append-planner.js';
import type { AppendRequest } from '../event-store.js';
import { encodeToken } from './subjects.js';

/*
 * The body of one JetStream message of the store: the events that one commit wrote to one Tauon
 * stream, in seq order, possibly from several append requests (transactions) in a row. It is a
 * msgpack sequence: a header, then one msgpack map per event (the producer's fields only; the
 * store fields follow from the header and the message's place in the JetStream stream).
 *
 *   header: [FORMAT, stream, prev, firstSeq, firstTx, [events of tx firstTx, of firstTx + 1, ...]]
 *
 * `prev` is the JetStream sequence of the stream's message before this one (0 for the first),
 * the same value the publish sent as Nats-Expected-Last-Subject-Sequence.
 */

/** The body format this code writes and reads. */
const FORMAT = 1;

/**
 * Most bytes of a header besides the stream name and the counts: the array's head, FORMAT, the
 * name's string head and three numbers (msgpack: at most 1 + 1 + 5 + 3 * 9), the counts' array head (5).
 */
const HEADER_FIXED_BYTES = 39;
/** Most bytes of one count in the header (counts stay below 65536: a msgpack uint16). */
const COUNT_BYTES = 3;
/** Most bytes of one UTF-16 code unit of the stream name in UTF-8. */
const NAME_BYTES_PER_UNIT = 3;

/**
 * Store-wide positions are `jsSeq * POSITIONS_PER_MESSAGE + index of the event in its message`:
 * increasing in JetStream order, not dense. A message holds fewer events than this.
 */
export const POSITIONS_PER_MESSAGE = 65_536;

/** The position of the `index`-th event of the message with JetStream sequence `jsSeq`. */
export function positionOf(jsSeq: number, index: number): number {
  return jsSeq * POSITIONS_PER_MESSAGE + index;
}

/** The JetStream sequence of the message that holds (or would hold) position `pos`. */
export function messageOfPosition(pos: number): number {
  return Math.floor(pos / POSITIONS_PER_MESSAGE);
}

// The same msgpack options as the wire codec: plain maps, undefined fields left out.
// (skipValues and int64AsType are msgpackr options its type declarations do not list.)
const packr = new Packr({ useRecords: false, skipValues: [undefined], variableMapSize: true } as Options);
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'auto' } as unknown as Options);

/** The producer's fields of an event, in the stored order, without the undefined ones. */
type ProducerEvent = AppendRequest['events'][number];

/** The header of a message, readable without decoding its events. */
export interface MessageHeader {
  readonly stream: string;
  /** JetStream sequence of the stream's previous message, 0 for its first. */
  readonly prev: number;
  readonly firstSeq: number;
  readonly firstTx: number;
  /** Events per transaction, from `firstTx` on. */
  readonly counts: readonly number[];
  /** Events in the message. */
  readonly total: number;
  /** The seq of its last event. */
  readonly lastSeq: number;
  /** The transaction of its last event. */
  readonly lastTx: number;
}

/** A message of the store with its events as stored. */
export interface DecodedMessage extends MessageHeader {
  /** JetStream sequence. */
  readonly jsSeq: number;
  /** When JetStream stored it, ms since the epoch: the `recorded` of its events. */
  readonly recorded: number;
  /** Its events in position order. */
  readonly events: StoredEvent[];
}

/**
 * Builds the body of one message: transactions are added in seq order, each with the events it
 * wrote. Events are encoded as they are added, so the size is known before publishing.
 */
export class MessageDraft {
  private readonly encoded: Uint8Array[] = [];
  private readonly counts: number[] = [];
  private firstSeq = 0;
  private firstTx = 0;
  private firstId = '';
  private eventBytes = 0;

  constructor(
    readonly stream: string,
    readonly prev: number,
  ) {}

  /** Events in the draft. */
  get size(): number {
    return this.encoded.length;
  }

  /**
   * The message's Nats-Msg-Id: its first event's id. An id is written once, so a second message
   * with the same first event is a retry (or a race JetStream's duplicate window then stops).
   */
  get msgId(): string {
    return encodeToken(this.firstId);
  }

  /**
   * An upper bound of the body's size once one more transaction of `eventBytes` encoded bytes is
   * added: its events, and the header, which holds a count per transaction (a message of
   * thousands of small appends has a header of kilobytes).
   */
  sizeWith(eventBytes: number): number {
    const header = HEADER_FIXED_BYTES + NAME_BYTES_PER_UNIT * this.stream.length + COUNT_BYTES * (this.counts.length + 1);
    return header + this.eventBytes + eventBytes;
  }

  /** Encodes the events of one transaction (to learn their size before adding them). */
  static encodeEvents(events: readonly StoredEvent[]): Uint8Array[] {
    return events.map((event) => packr.pack(producerFields(event)));
  }

  /** Adds one transaction's written events (already encoded by {@link encodeEvents}). */
  add(written: readonly StoredEvent[], encoded: readonly Uint8Array[]): void {
    const first = written[0];
    if (first === undefined) return;
    if (this.counts.length === 0) {
      this.firstSeq = first.seq;
      this.firstTx = first.tx;
      this.firstId = first.id;
    }
    this.counts.push(written.length);
    for (const bytes of encoded) {
      this.encoded.push(bytes);
      this.eventBytes += bytes.length;
    }
  }

  /** The message body. */
  toBytes(): Uint8Array {
    const header = packr.pack([FORMAT, this.stream, this.prev, this.firstSeq, this.firstTx, this.counts]);
    const body = new Uint8Array(header.length + this.eventBytes);
    body.set(header, 0);
    let offset = header.length;
    for (const bytes of this.encoded) {
      body.set(bytes, offset);
      offset += bytes.length;
    }
    return body;
  }
}

/** The header of a message body; throws TauonError when it is not a body this store wrote. */
export function readHeader(data: Uint8Array, jsSeq: number): MessageHeader {
  let header: unknown;
  try {
    unpackr.unpackMultiple(data, (value: unknown) => {
      header = value;
      return false;
    });
  } catch (error) {
    throw notOurs(jsSeq, error);
  }
  return parseHeader(header, jsSeq);
}

/** Decodes a whole message into its stored events. */
export function decodeMessage(data: Uint8Array, jsSeq: number, recorded: number): DecodedMessage {
  let values: unknown[];
  try {
    // As the codec reads it: a `__proto__` key of data stays one (protocol/proto-keys.ts).
    values = unpackMultiplePlain(data);
  } catch (error) {
    throw notOurs(jsSeq, error);
  }
  const header = parseHeader(values[0], jsSeq);
  if (values.length !== header.total + 1) throw notOurs(jsSeq, `${values.length - 1} events for ${header.total}`);
  const events: StoredEvent[] = [];
  let index = 0;
  header.counts.forEach((count, t) => {
    const tx = header.firstTx + t;
    for (let k = 0; k < count; k++) {
      const input = values[index + 1] as ProducerEvent;
      if (typeof input !== 'object' || input === null || typeof input.id !== 'string') throw notOurs(jsSeq, 'an event without id');
      events.push(storedEvent(input, header.stream, header.firstSeq + index, positionOf(jsSeq, index), tx, recorded));
      index++;
    }
  });
  return { ...header, jsSeq, recorded, events };
}

/** Milliseconds since the epoch of a JetStream timestamp in nanoseconds (rounded down). */
export function millisOfNanos(nanos: bigint): number {
  return Number(nanos / 1_000_000n);
}

/**
 * Milliseconds since the epoch of a JetStream timestamp as RFC 3339 text with up to nine
 * fractional digits (rounded down, like {@link millisOfNanos}, so both give the same `recorded`).
 */
export function millisOfTimestamp(text: string): number {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (match === null) throw new TauonError('internal', `jetstream store: cannot read the timestamp ${text}`);
  const seconds = Date.parse(`${match[1]!}${match[3]!}`);
  const millis = Number((match[2] ?? '').slice(0, 3).padEnd(3, '0'));
  return seconds + millis;
}

function parseHeader(value: unknown, jsSeq: number): MessageHeader {
  if (!Array.isArray(value) || value[0] !== FORMAT || value.length !== 6) throw notOurs(jsSeq, 'no header');
  const [, stream, prev, firstSeq, firstTx, counts] = value as [number, unknown, unknown, unknown, unknown, unknown];
  if (
    typeof stream !== 'string' ||
    typeof prev !== 'number' ||
    typeof firstSeq !== 'number' ||
    typeof firstTx !== 'number' ||
    !Array.isArray(counts) ||
    counts.length === 0 ||
    !counts.every((n) => typeof n === 'number' && n > 0)
  ) {
    throw notOurs(jsSeq, 'a malformed header');
  }
  const total = (counts as number[]).reduce((sum, n) => sum + n, 0);
  return {
    stream,
    prev,
    firstSeq,
    firstTx,
    counts: counts as number[],
    total,
    lastSeq: firstSeq + total - 1,
    lastTx: firstTx + counts.length - 1,
  };
}

/** The producer's part of a stored event (what the message carries per event). */
function producerFields(event: StoredEvent): ProducerEvent {
  const { stream: _stream, seq: _seq, pos: _pos, tx: _tx, recorded: _recorded, ...producer } = event;
  return producer;
}

function notOurs(jsSeq: number, why: unknown): TauonError {
  const reason = why instanceof Error ? why.message : String(why);
  return new TauonError('internal', `jetstream store: message ${jsSeq} is not an event message of this store (${reason})`, {
    cause: why,
  });
}
