import { BadFrameError } from '../protocol/errors.js';
import { MAX_NAME_LENGTH } from '../protocol/frames.js';
import type { SnapshotOptions } from './aggregate-types.js';
import type { Client, EmitEvent, StoredEvent } from './types.js';

/** The type of the events that hold snapshots. */
export const SNAPSHOT_EVENT_TYPE = 'tauon.snapshot';

/** The default companion stream of an aggregate's snapshots. */
export function defaultSnapshotStream(stream: string): string {
  return `${stream}.snapshot`;
}

/** What a snapshot event's data holds. */
interface SnapshotData {
  version: number;
  revision: string | number;
  state: unknown;
}

/** A snapshot as found: the state and the version of the aggregate's stream it includes. */
export interface FoundSnapshot<State> {
  state: State;
  version: number;
}

/**
 * Snapshots of one kind of aggregate, kept in a companion stream per aggregate: the newest is
 * read backward with a limit of 1, and each is written with an id made from its stream and
 * version, so that writing the same snapshot twice (two handlers, a resend) stores it once.
 */
export class SnapshotStream<State> {
  readonly every: number;
  private readonly streamOf: (stream: string) => string;
  private readonly revision: string | number;
  private readonly toSnapshot: (state: State) => unknown;
  private readonly fromSnapshot: (data: unknown) => State;

  constructor(options: SnapshotOptions<State>) {
    if (!Number.isSafeInteger(options.every) || options.every < 1) {
      throw new BadFrameError(`snapshot.every is a positive integer (got ${String(options.every)})`);
    }
    this.every = options.every;
    this.streamOf = options.stream ?? defaultSnapshotStream;
    this.revision = options.revision ?? 1;
    this.toSnapshot = options.toSnapshot ?? ((state) => state);
    this.fromSnapshot = options.fromSnapshot ?? ((data) => data as State);
  }

  /**
   * The newest snapshot of an aggregate, or undefined when it has none of this revision.
   * Rejects when the snapshot stream cannot be read, or its newest snapshot cannot be turned
   * back into a state (the caller then folds from the first event).
   */
  async newest(client: Client, stream: string): Promise<FoundSnapshot<State> | undefined> {
    const page = await client.read(this.streamOf(stream), { direction: 'backward', limit: 1 });
    const event = page.events[0];
    if (event === undefined || event.type !== SNAPSHOT_EVENT_TYPE) return undefined;
    const data = snapshotData(event);
    if (data.revision !== this.revision) return undefined;
    return { state: this.fromSnapshot(data.state), version: data.version };
  }

  /** Stores a snapshot of the state at a version of the aggregate's stream. */
  async write(client: Client, stream: string, state: State, version: number): Promise<void> {
    const target = this.streamOf(stream);
    const data: SnapshotData = { version, revision: this.revision, state: this.toSnapshot(state) };
    const event: EmitEvent = { id: snapshotId(target, version), type: SNAPSHOT_EVENT_TYPE, data };
    await client.emit(target, event);
  }
}

/** The data of a snapshot event, checked: a snapshot written by hand or by another tool may be anything. */
function snapshotData(event: StoredEvent): SnapshotData {
  const data = event.data as Partial<SnapshotData> | null | undefined;
  const version = data?.version;
  const revision = data?.revision;
  if (
    typeof data !== 'object' ||
    data === null ||
    typeof version !== 'number' ||
    !Number.isSafeInteger(version) ||
    version < 0 ||
    (typeof revision !== 'string' && typeof revision !== 'number')
  ) {
    throw new BadFrameError(`the snapshot ${event.stream}@${event.seq} is not { version, revision, state }`);
  }
  return { version, revision, state: data.state };
}

/**
 * The id of the snapshot of `version` in the snapshot stream `target`: readable when it fits in
 * an event id, else a hash of the stream's name with the version.
 */
export function snapshotId(target: string, version: number): string {
  const readable = `${target}@${version}`;
  if ([...readable].length <= MAX_NAME_LENGTH) return readable;
  return `snapshot-${fnv1a(target, 0x811c9dc5)}${fnv1a(target, 0x01000193)}@${version}`;
}

/** 32-bit FNV-1a of a string's UTF-16 units, as 8 hex digits (two seeds make 64 bits). */
function fnv1a(text: string, seed: number): string {
  let hash = seed >>> 0;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
