import { msgpackCodec } from '../../protocol/msgpack-codec.js';
import type { StoredEvent } from '../../protocol/frames.js';
import type { EventPredicate } from '../event-filter.js';
import { positionIn, readSelected, type Selector } from '../selector.js';
import type { EncodedEvents, EventStore } from '../stores/event-store.js';
import { partitionOfEncoded } from './encoded-partition.js';
import { partitionOf } from './partition-of.js';

/**
 * A page of a group's selector as the group reads it: each event's position and partition, and
 * the events its partitions take copied out as their msgpack encodings, which go into `deliver`
 * frames as they are (SPEC 17.8).
 */
export interface GroupPage {
  readonly positions: readonly number[];
  /** The partition (of `partitions`) of event `index`. */
  partitionOf(index: number, partitions: number): number;
  /** False when the group's filter leaves event `index` out. */
  selected(index: number): boolean;
  /** The bytes of event `index`'s encoding. */
  sizeOf(index: number): number;
  /**
   * The encodings of events `indexes` (in page order) copied one after the other into one
   * buffer, and where each ends in it: what one partition keeps holds no other partition's
   * events alive.
   */
  copyOut(indexes: readonly number[]): CopiedEvents;
}

/** Events' encodings one after the other in `bytes`; event `i` ends at `ends[i]` (the first starts at 0). */
export interface CopiedEvents {
  readonly bytes: Uint8Array;
  readonly ends: readonly number[];
}

/**
 * Reads a page of the selector from `from` (inclusive): on the store's encoded reads when it has
 * them and nothing needs the decoded events (no filter; a stream or `$all`, as a replay does),
 * else decoded and each event taken encoded once.
 */
export function groupPageReader(
  store: EventStore,
  selector: Selector,
  predicate: EventPredicate | undefined,
): (from: number, limit: number) => Promise<GroupPage> {
  if (predicate === undefined) {
    if (selector.kind === 'stream' && store.readStreamEncoded !== undefined) {
      const stream = selector.stream;
      return async (from, limit) => new EncodedGroupPage(await store.readStreamEncoded!(stream, from, limit));
    }
    if (selector.kind === 'prefix' && selector.prefix === '' && store.readAllEncoded !== undefined) {
      return async (from, limit) => new EncodedGroupPage(await store.readAllEncoded!(from, limit));
    }
  }
  return async (from, limit) => new DecodedGroupPage(selector, await readSelected(store, selector, from, 'forward', limit), predicate);
}

class EncodedGroupPage implements GroupPage {
  readonly positions: readonly number[];

  constructor(private readonly page: EncodedEvents) {
    this.positions = page.positions;
  }

  partitionOf(index: number, partitions: number): number {
    return partitionOfEncoded(this.page.bytes, this.startOf(index), this.page.ends[index]!, partitions);
  }

  selected(): boolean {
    return true;
  }

  sizeOf(index: number): number {
    return this.page.ends[index]! - this.startOf(index);
  }

  copyOut(indexes: readonly number[]): CopiedEvents {
    const { bytes, ends } = this.page;
    let size = 0;
    for (const index of indexes) size += ends[index]! - this.startOf(index);
    const copy = new Uint8Array(size);
    const copiedEnds: number[] = [];
    let at = 0;
    // Runs of consecutive events are copied at once.
    for (let i = 0; i < indexes.length; ) {
      let last = i;
      while (last + 1 < indexes.length && indexes[last + 1] === indexes[last]! + 1) last += 1;
      const start = this.startOf(indexes[i]!);
      copy.set(bytes.subarray(start, ends[indexes[last]!]), at);
      for (let j = i; j <= last; j += 1) copiedEnds.push(at + ends[indexes[j]!]! - start);
      at = copiedEnds[last]!;
      i = last + 1;
    }
    return { bytes: copy, ends: copiedEnds };
  }

  private startOf(index: number): number {
    return index === 0 ? 0 : this.page.ends[index - 1]!;
  }
}

class DecodedGroupPage implements GroupPage {
  readonly positions: readonly number[];
  private readonly encodings: (Uint8Array | undefined)[] = [];

  constructor(
    selector: Selector,
    private readonly events: readonly StoredEvent[],
    private readonly predicate: EventPredicate | undefined,
  ) {
    this.positions = events.map((event) => positionIn(selector, event));
  }

  partitionOf(index: number, partitions: number): number {
    return partitionOf(this.events[index]!, partitions);
  }

  selected(index: number): boolean {
    return this.predicate === undefined || this.predicate(this.events[index]!);
  }

  sizeOf(index: number): number {
    return this.encodingOf(index).length;
  }

  copyOut(indexes: readonly number[]): CopiedEvents {
    const encodings = indexes.map((index) => this.encodingOf(index));
    const ends: number[] = [];
    let size = 0;
    for (const encoding of encodings) ends.push((size += encoding.length));
    const bytes = new Uint8Array(size);
    encodings.forEach((encoding, i) => bytes.set(encoding, i === 0 ? 0 : ends[i - 1]));
    return { bytes, ends };
  }

  /** Event `index` encoded, once. */
  private encodingOf(index: number): Uint8Array {
    return (this.encodings[index] ??= msgpackCodec.encode(this.events[index]!));
  }
}
