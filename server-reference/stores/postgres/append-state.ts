import type { AppendCondition, StoredEvent } from '../../../protocol/frames.js';
import { checkCondition, type ConditionVerdict, type TypedEntry } from '../append-condition.js';
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
  /** Per condition of the transaction's requests: the stored events of each of its types after its position, as looked up. */
  private readonly conditionEntries = new Map<AppendCondition, ReadonlyMap<string, readonly TypedEntry[]>>();

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

  /**
   * Records the stored events of a condition's types after its position (in position order, at
   * most one past the scan limit per type: enough for the check to decide or to give up).
   */
  seedCondition(condition: AppendCondition, entries: ReadonlyMap<string, readonly TypedEntry[]>): void {
    this.conditionEntries.set(condition, entries);
  }

  /** The planner's view of this state; its writes land here. */
  target(): AppendTarget {
    return {
      streamHead: (stream) => this.streamHead(stream),
      eventById: (id) => this.eventById(id),
      newestOfKey: (stream, key) => this.newestOfKey(stream, key),
      write: (stream, events) => this.write(events.map((event) => [event, encodeEventBody(event)])),
      conditionVerdict: (condition) => this.conditionVerdict(condition),
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

  /**
   * The condition against the stored events looked up and then the events written in this
   * transaction so far (all later than every stored one), by the parents first.
   */
  private conditionVerdict(condition: AppendCondition): ConditionVerdict {
    const stored = this.storedEntries(condition);
    const written = this.writtenChain();
    return checkCondition(condition, function* (type) {
      yield* stored?.get(type) ?? [];
      for (const event of written) if (event.type === type && event.pos > condition.after) yield event;
    });
  }

  private storedEntries(condition: AppendCondition): ReadonlyMap<string, readonly TypedEntry[]> | undefined {
    return this.conditionEntries.get(condition) ?? this.parent?.storedEntries(condition);
  }

  /** Every event written in the transaction by this state and its parents, in position order. */
  private writtenChain(): readonly StoredEvent[] {
    const above = this.parent?.writtenChain() ?? [];
    return above.length === 0 ? this.writtenEvents : [...above, ...this.writtenEvents];
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
