import type { StoredEvent } from '../../../protocol/frames.js';
import type { AppendTarget, StreamHead } from '../append-planner.js';
import { encodeEventBody } from './event-body.js';

/**
 * What the appends of one PostgreSQL transaction see and write: the rows looked up when the
 * transaction began (under the append lock), plus everything planned since. The planner needs
 * synchronous lookups, so the store looks up in one statement every id, stream and key the
 * transaction's calls name, and the planner then runs against this.
 *
 * Each `append()` call plans into a child state; if planning it throws (data msgpack cannot
 * encode, say) the child is dropped and the calls sharing the transaction are unaffected.
 */
export class AppendState {
  private readonly heads = new Map<string, StreamHead>();
  private readonly byId = new Map<string, StoredEvent>();
  /** stream -> key -> the key's newest event. */
  private readonly newest = new Map<string, Map<string, StoredEvent>>();
  /** Events written, in position order, with their encoded bodies. */
  private readonly writtenEvents: StoredEvent[] = [];
  private readonly writtenBodies: Buffer[] = [];

  constructor(private readonly parent?: AppendState) {}

  /** Records a stream's head as stored. */
  seedHead(stream: string, head: StreamHead): void {
    this.heads.set(stream, head);
  }

  /** Records an event found by id as stored. */
  seedEvent(event: StoredEvent): void {
    this.byId.set(event.id, event);
  }

  /** Records the newest stored event of its key. */
  seedNewest(event: StoredEvent): void {
    if (event.key !== undefined) this.newestOf(event.stream).set(event.key, event);
  }

  /** The planner's view of this state; its writes land here. */
  target(): AppendTarget {
    return {
      streamHead: (stream) => this.streamHead(stream),
      eventById: (id) => this.eventById(id),
      newestOfKey: (stream, key) => this.newestOfKey(stream, key),
      write: (stream, events) => this.write(events.map((event) => [event, encodeEventBody(event)])),
    };
  }

  /** A state for one call on top of this one. */
  child(): AppendState {
    return new AppendState(this);
  }

  /** Moves a child's writes into this state (the child's call succeeded). */
  adopt(child: AppendState): void {
    this.write(child.writtenEvents.map((event, i) => [event, child.writtenBodies[i]!]));
  }

  /** Every event written, in position order. */
  get events(): readonly StoredEvent[] {
    return this.writtenEvents;
  }

  /** The encoded bodies of {@link events}, index for index. */
  get bodies(): readonly Buffer[] {
    return this.writtenBodies;
  }

  private streamHead(stream: string): StreamHead | undefined {
    return this.heads.get(stream) ?? this.parent?.streamHead(stream);
  }

  private eventById(id: string): StoredEvent | undefined {
    return this.byId.get(id) ?? this.parent?.eventById(id);
  }

  private newestOfKey(stream: string, key: string): StoredEvent | undefined {
    return this.newest.get(stream)?.get(key) ?? this.parent?.newestOfKey(stream, key);
  }

  private write(entries: readonly (readonly [StoredEvent, Buffer])[]): void {
    for (const [event, body] of entries) {
      this.writtenEvents.push(event);
      this.writtenBodies.push(body);
      this.byId.set(event.id, event);
      this.heads.set(event.stream, { head: event.seq, tx: event.tx });
      if (event.key !== undefined) this.newestOf(event.stream).set(event.key, event);
    }
  }

  private newestOf(stream: string): Map<string, StoredEvent> {
    let keys = this.newest.get(stream);
    if (keys === undefined) {
      keys = new Map();
      this.newest.set(stream, keys);
    }
    return keys;
  }
}
