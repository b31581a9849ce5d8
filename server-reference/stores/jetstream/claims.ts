import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import type { StoredEvent } from '../../../protocol/frames.js';
import { DecodedCache } from './decoded-cache.js';
import type { DecodedMessage } from './message.js';
import type { JetStreamReader } from './reader.js';
import { encodeToken, subjectOfStream } from './subjects.js';

/*
 * Event ids, store-wide and for ever. JetStream's own duplicate window (Nats-Msg-Id) only
 * remembers message ids for a while, and knows nothing of the events inside a message, so the
 * store keeps one KV entry per event id: a claim, written BEFORE the message that carries the
 * event, naming where that message will be: the first message on the stream's subject after
 * JetStream sequence `after` (the sequence the publish expects as the subject's last). Because
 * the publish carries Nats-Expected-Last-Subject-Sequence: after, a message that lands is exactly
 * that message, so a claim never points anywhere else. A claim whose message never landed
 * (the writer failed, lost a race, or crashed) is told apart on reading and taken over.
 *
 * `kv.create` is JetStream's compare-and-set on the claim's subject (expected last subject
 * sequence 0), so two writers cannot both believe an id is new.
 */

/** What a claim records: the event will be in the first message on `stream`'s subject after `after`. */
export interface ClaimPointer {
  readonly stream: string;
  readonly after: number;
}

/** What is known of an event id after claiming or reading its claim. */
export type ClaimState =
  /** The id was free and is now claimed by the caller. */
  | { readonly kind: 'claimed'; readonly revision: number; readonly pointer: ClaimPointer }
  /** The id is stored: this event. */
  | { readonly kind: 'stored'; readonly event: StoredEvent }
  /**
   * The claim names no stored event: its message never landed (`pending` false: another message
   * took its place), or has not landed yet (`pending` true). `age` is in ms.
   */
  | {
      readonly kind: 'open';
      readonly revision: number;
      readonly pointer: ClaimPointer;
      readonly pending: boolean;
      readonly age: number;
    }
  /** No claim (never made, or released). */
  | { readonly kind: 'absent' };

/** The JSON a claim's KV value holds. */
interface ClaimValue {
  readonly s: string;
  readonly a: number;
}

const encoder = new TextEncoder();

/** Most events of slot messages a claims reader keeps decoded when the store lends it no cache. */
const DECODED_EVENTS_KEPT = 20_000;

/**
 * Reads of claims' slots in flight, by slot: claims read at the same moment (a batch's ids, which
 * mostly share one slot) share one read of the slot's message, which may be a megabyte. Only for
 * reads that may be as old as the oldest of them (a writer's round checks what it read anyway).
 */
export type SlotReads = Map<string, Promise<DecodedMessage | undefined>>;

/** The event-id claims of one store, in a KV bucket. */
export class IdClaims {
  constructor(
    private readonly kv: KV,
    private readonly reader: JetStreamReader,
    private readonly subjectPrefix: string,
    /** Decoded messages, shared with the store's reads (messages never change once stored). */
    private readonly decoded: DecodedCache = new DecodedCache(DECODED_EVENTS_KEPT),
  ) {}

  /** Claims a free id for `pointer`, or tells what holds it. */
  async claim(id: string, pointer: ClaimPointer, slots?: SlotReads): Promise<ClaimState> {
    try {
      const revision = await this.kv.create(encodeToken(id), valueOf(pointer));
      return { kind: 'claimed', revision, pointer };
    } catch (error) {
      if (!isWrongLastSequence(error)) throw error;
    }
    const state = await this.read(id, slots);
    // Released between the create and the read: claim it again, once; a second race answers
    // `absent` and the caller's next round tries again.
    if (state.kind === 'absent') {
      try {
        const revision = await this.kv.create(encodeToken(id), valueOf(pointer));
        return { kind: 'claimed', revision, pointer };
      } catch (error) {
        if (!isWrongLastSequence(error)) throw error;
      }
    }
    return state;
  }

  /**
   * Reads an id's claim and follows it to the event, if the event is stored. With `slots`, the
   * read of the claim's slot may be shared with reads of the same slot already in flight.
   */
  async read(id: string, slots?: SlotReads): Promise<ClaimState> {
    const entry = await this.kv.get(encodeToken(id));
    if (entry === null || entry.operation !== 'PUT') return { kind: 'absent' };
    const value = entry.json<ClaimValue>();
    const pointer: ClaimPointer = { stream: value.s, after: value.a };
    const next = await this.slotMessage(pointer, slots);
    const age = Math.max(0, Date.now() - entry.created.getTime());
    if (next === undefined) return { kind: 'open', revision: entry.revision, pointer, pending: true, age };
    const event = next.events.find((e) => e.id === id);
    if (event !== undefined) return { kind: 'stored', event };
    return { kind: 'open', revision: entry.revision, pointer, pending: false, age };
  }

  /** The message in a claim's slot (the first on its stream's subject after `after`), if one landed. */
  private slotMessage(pointer: ClaimPointer, slots: SlotReads | undefined): Promise<DecodedMessage | undefined> {
    const read = (): Promise<DecodedMessage | undefined> =>
      this.reader
        .nextOf(subjectOfStream(this.subjectPrefix, pointer.stream), pointer.after + 1)
        .then((raw) => (raw === undefined ? undefined : this.decoded.decode(raw)));
    if (slots === undefined) return read();
    const key = `${pointer.after} ${pointer.stream}`;
    let shared = slots.get(key);
    if (shared === undefined) {
      shared = read().finally(() => slots.delete(key));
      slots.set(key, shared);
    }
    return shared;
  }

  /** The stored event with this id, if any. */
  async find(id: string): Promise<StoredEvent | undefined> {
    const state = await this.read(id);
    return state.kind === 'stored' ? state.event : undefined;
  }

  /**
   * Points a claim the caller holds (or takes over) at `pointer`, if it is still at `revision`.
   * Answers the new revision, or undefined when someone else changed the claim meanwhile.
   */
  async retarget(id: string, pointer: ClaimPointer, revision: number): Promise<number | undefined> {
    try {
      return await this.kv.update(encodeToken(id), valueOf(pointer), revision);
    } catch (error) {
      if (isWrongLastSequence(error)) return undefined;
      throw error;
    }
  }

  /** Gives up a claim that no stored event uses, if it is still at `revision`. */
  async release(id: string, revision: number): Promise<void> {
    try {
      await this.kv.delete(encodeToken(id), { previousSeq: revision });
    } catch (error) {
      if (!isWrongLastSequence(error)) throw error;
    }
  }
}

/** How a batch waits for and takes over claims of other writers. */
export interface ClaimPolicy {
  /** How long to wait for another writer's pending claim to settle, in ms. */
  readonly waitMs: number;
  /** The age after which a pending claim counts as abandoned (its writer died), in ms. */
  readonly timeoutMs: number;
}

/** Pause between reads of a claim that another writer is about to use, in ms. */
const POLL_MS = 20;

/**
 * The claims one batch of appends holds, and the rules for taking and giving them back.
 *
 * A claim is *owned* by the writer that created it, or that took it over once its slot was
 * settled without the event (stale) or its writer was presumed dead (older than the timeout).
 * Only the owner may move a pending claim to another slot or release it, and only while its
 * revision still stands. Another writer of the same stream may *re-assert* a pending claim for
 * the very slot it names (it would publish at the same place; JetStream lets one of them land),
 * which bumps the revision, so that the owner can no longer release it under the other's feet.
 */
export class ClaimBook {
  private readonly held = new Map<string, { revision: number; owned: boolean }>();
  /** The batch's claims are resolved all at once, each round: their slot reads are shared. */
  private readonly slots: SlotReads = new Map();

  constructor(
    private readonly claims: IdClaims,
    private readonly policy: ClaimPolicy,
  ) {}

  /**
   * What holds `id` for a writer about to write it at `pointer`: claims it when it is free, and
   * waits (up to waitMs) while another writer's message with it may still land elsewhere.
   */
  async resolve(id: string, pointer: ClaimPointer): Promise<ClaimState> {
    let state = this.held.has(id) ? await this.claims.read(id, this.slots) : await this.claims.claim(id, pointer, this.slots);
    const deadline = Date.now() + this.policy.waitMs;
    for (;;) {
      if (state.kind === 'absent') state = await this.claims.claim(id, pointer, this.slots);
      if (state.kind === 'claimed') {
        this.held.set(id, { revision: state.revision, owned: true });
        return state;
      }
      if (state.kind === 'stored') {
        this.held.delete(id);
        return state;
      }
      if (state.kind === 'open' && this.held.get(id)?.revision !== state.revision) this.held.delete(id);
      if (!this.blocks(id, state, pointer) || Date.now() >= deadline) return state;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      state = await this.claims.read(id, this.slots);
    }
  }

  /**
   * Whether `state` is another writer's claim whose message may still land somewhere other
   * than `pointer`: then the id cannot be written at `pointer` now.
   */
  blocks(id: string, state: ClaimState, pointer: ClaimPointer): boolean {
    return (
      state.kind === 'open' &&
      state.pending &&
      state.age < this.policy.timeoutMs &&
      !samePointer(state.pointer, pointer) &&
      !this.owns(id, state)
    );
  }

  /**
   * Makes the claim of `id` name `pointer`, the message about to be published with the event.
   * False when it may not (another writer's pending claim for another slot) or when someone
   * changed the claim since `state` was read: the caller plans again.
   */
  async secure(id: string, pointer: ClaimPointer, state: ClaimState): Promise<boolean> {
    if (state.kind === 'claimed' && samePointer(state.pointer, pointer) && this.held.get(id)?.revision === state.revision) {
      return true;
    }
    if (state.kind !== 'claimed' && state.kind !== 'open') return false;
    if (this.blocks(id, state, pointer)) return false;
    const owned =
      state.kind === 'claimed' || this.owns(id, state) || !state.pending || state.age >= this.policy.timeoutMs;
    const revision = await this.claims.retarget(id, pointer, state.revision);
    if (revision === undefined) return false;
    this.held.set(id, { revision, owned });
    return true;
  }

  /** Releases the claims this batch owns and `keep` does not name (ids not written, or not known to be). */
  async release(keep: (id: string) => boolean): Promise<void> {
    const released = [...this.held].filter(([id, claim]) => claim.owned && !keep(id));
    this.held.clear();
    await Promise.all(released.map(([id, claim]) => this.claims.release(id, claim.revision)));
  }

  private owns(id: string, state: Extract<ClaimState, { kind: 'open' }>): boolean {
    const claim = this.held.get(id);
    return claim !== undefined && claim.owned && claim.revision === state.revision;
  }
}

function samePointer(a: ClaimPointer, b: ClaimPointer): boolean {
  return a.stream === b.stream && a.after === b.after;
}

function valueOf(pointer: ClaimPointer): Uint8Array {
  const value: ClaimValue = { s: pointer.stream, a: pointer.after };
  return encoder.encode(JSON.stringify(value));
}

/** The server refused a compare-and-set (Nats-Expected-Last-Subject-Sequence did not hold). */
export function isWrongLastSequence(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
