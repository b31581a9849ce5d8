import { BadFrameError, ChainBrokenError, ConnectionClosedError, errorFromWire, TauonError } from '../protocol/errors.js';
import type {
  AppendCondition,
  AppendedFrame,
  AppendFrame,
  ErrorFrame,
  EventInput,
  ExpectedVersion,
  InvalidateFrame,
} from '../protocol/frames.js';
import { checkEmit, checkStreamName } from './emit-check.js';
import { newEventId } from '../protocol/event-id.js';
import { Fifo } from './fifo.js';
import type { FrameSender } from './frame-sender.js';
import type { EmitAck, EmitEvent, EmitOptions } from './types.js';

/** The feature a server announces in `welcome.features` when it checks append conditions (SPEC 5.8.1). */
const APPEND_CONDITION_FEATURE = 'append-condition';

/** What the emit queue needs to know. */
export interface EmitQueueOptions {
  /** Most frames awaiting their answer at once. */
  readonly maxAppendsInFlight: number;
  /** Most events coalesced into one frame (also capped by the server's limit). */
  readonly maxEventsPerFrame: number;
  /** Soft bound of one coalesced frame's encoded size; a larger one is split per emit. */
  readonly maxFrameBytes: number;
  /** The next request id (shared with the other requests of the client). */
  readonly nextId: () => number;
}

/** One caller's part of a frame: its events are `events[offset .. offset+count)`. */
interface Caller {
  readonly resolve: (ack: EmitAck) => void;
  readonly reject: (error: TauonError) => void;
  readonly offset: number;
  readonly count: number;
}

/** One `append` (or `invalidate`) frame, queued or on its way. */
interface Write {
  id: number;
  readonly kind: 'append' | 'invalidate';
  readonly stream: string;
  readonly events: EventInput[];
  readonly expected: ExpectedVersion | undefined;
  readonly dedupe: boolean;
  /** The append's condition (SPEC 5.8.1): a write with one has one caller, never split. */
  readonly condition: AppendCondition | undefined;
  readonly callers: Caller[];
  /** For `invalidate`: the transaction and the reason. */
  readonly tx: number;
  readonly reason: string | undefined;
  /** Ids the callers chose themselves, so that a repeated id never lands twice in one frame. */
  userIds: Set<string> | undefined;
  /** Sent with `newChain: true` (kept for resends). */
  newChain: boolean;
  /**
   * An earlier append to its stream failed on this connection after this one was sent: the
   * server answers it `chain-broken`. If the connection drops first, it fails the same way
   * instead of being resent.
   */
  doomed: boolean;
}

/**
 * The emit queue: the client's write path. Emits issued in the same tick to the same stream
 * with the same options are coalesced into one `append` frame (bounded in events and encoded
 * bytes); an emit with an expected version travels alone. At most `maxAppendsInFlight` frames
 * wait for their answer; the rest wait in the queue, where later emits keep joining them. Each
 * caller gets its own slice of the ack.
 *
 * Failures follow the protocol's per-stream chain: after an append to S fails, the next append
 * to S carries `newChain: true`. After a reconnect, unanswered appends are resent in their
 * original order with the same event ids (the server answers a resend with the original
 * positions), except those the server would have refused as `chain-broken`.
 */
export class EmitQueue {
  private readonly unsent = new Fifo<Write>();
  /** The newest unsent frame of each stream that later emits may still join. */
  private readonly open = new Map<string, Write>();
  /** Sent frames awaiting their answer, in the order sent. */
  private readonly inFlight = new Map<number, Write>();
  /** Streams whose chain broke on this connection: their next append carries `newChain`. */
  private readonly broken = new Set<string>();
  private sender: FrameSender | undefined;
  private pumpScheduled = false;
  private closedWith: TauonError | undefined;
  private eventLimit: number;

  constructor(private readonly options: EmitQueueOptions) {
    this.eventLimit = options.maxEventsPerFrame;
  }

  /** Frames queued or awaiting their answer. */
  get pending(): number {
    return this.unsent.length + this.inFlight.size;
  }

  /** Queues an emit of one event, or of several events atomically; resolves with its ack. */
  emit(stream: string, input: EmitEvent | readonly EmitEvent[], options?: EmitOptions): Promise<EmitAck> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    const list: readonly EmitEvent[] = Array.isArray(input) ? input : [input as EmitEvent];
    const problem = checkEmit(stream, list, options);
    if (problem !== undefined) return Promise.reject(problem);

    const events: EventInput[] = new Array<EventInput>(list.length);
    let userIds: string[] | undefined;
    for (let index = 0; index < list.length; index += 1) {
      const event = list[index] as EmitEvent;
      if (event.id === undefined) {
        // The id is fixed before the first send so that every resend is idempotent.
        events[index] = wireEvent(event, newEventId());
      } else {
        events[index] = wireEvent(event, event.id);
        (userIds ??= []).push(event.id);
      }
    }
    if (userIds !== undefined && new Set(userIds).size !== userIds.length) {
      return Promise.reject(new BadFrameError('the same event id twice in one emit'));
    }

    const expected = options?.expected === 'any' ? undefined : options?.expected;
    const dedupe = options?.dedupe === true;
    const condition = options?.condition;
    const alone = expected !== undefined || condition !== undefined;
    return new Promise<EmitAck>((resolve, reject) => {
      let write = alone ? undefined : this.open.get(stream);
      if (write !== undefined && !this.fits(write, dedupe, events.length, userIds)) write = undefined;
      if (write === undefined) {
        write = this.newWrite('append', stream, expected, dedupe, condition);
        this.unsent.push(write);
        if (!alone) this.open.set(stream, write);
        else this.open.delete(stream); // later emits must not overtake it
      }
      write.callers.push({ resolve, reject, offset: write.events.length, count: events.length });
      for (const event of events) write.events.push(event);
      if (userIds !== undefined) {
        write.userIds ??= new Set();
        for (const id of userIds) write.userIds.add(id);
      }
      this.schedulePump();
    });
  }

  /** Queues an `invalidate` of a transaction, in order with the emits to the same stream. */
  invalidate(stream: string, tx: number, reason?: string): Promise<EmitAck> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    const problem =
      checkStreamName(stream) ??
      (Number.isSafeInteger(tx) && tx >= 1 ? undefined : new BadFrameError('tx is a positive integer'));
    if (problem !== undefined) return Promise.reject(problem);
    return new Promise<EmitAck>((resolve, reject) => {
      const write = this.newWrite('invalidate', stream, undefined, false, undefined, tx, reason);
      write.callers.push({ resolve, reject, offset: 0, count: 1 });
      this.unsent.push(write);
      this.open.delete(stream);
      this.schedulePump();
    });
  }

  /** A session came up: resend what was unanswered, in order, then send what is queued. */
  attach(sender: FrameSender): void {
    this.sender = sender;
    this.eventLimit = Math.min(this.options.maxEventsPerFrame, sender.limits.maxEventsPerAppend);
    const resend = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const write of resend) {
      write.newChain = false; // the chain state is per connection; this one starts clean
      this.transmit(write, sender);
    }
    this.pump();
  }

  /**
   * The session ended. Frames without an answer stay for the resend, except those that would
   * have been refused as `chain-broken` and `invalidate`s (not idempotent), which fail now.
   */
  detach(): void {
    this.sender = undefined;
    this.broken.clear();
    for (const [id, write] of this.inFlight) {
      if (write.doomed) {
        this.inFlight.delete(id);
        this.rejectAll(
          write,
          new ChainBrokenError(write.stream, `stream ${write.stream}: an earlier emit to it failed before the connection was lost`),
        );
      } else if (write.kind === 'invalidate') {
        this.inFlight.delete(id);
        this.rejectAll(
          write,
          new ConnectionClosedError('the connection was lost before the invalidate was acknowledged; it may or may not have been applied'),
        );
      }
    }
  }

  /** True when `id` is a frame of this queue awaiting its answer. */
  handles(id: number): boolean {
    return this.inFlight.has(id);
  }

  /**
   * Settles the callers of an answered frame. Returns a protocol error when the ack does not
   * match the frame (the caller then drops the session; the frame is resent on the next one).
   */
  onAppended(frame: AppendedFrame): TauonError | undefined {
    const write = this.inFlight.get(frame.id);
    if (write === undefined) return undefined; // not ours, or already settled
    const count = write.kind === 'invalidate' ? 1 : write.events.length;
    if (frame.seqs.length !== count || frame.positions.length !== count) {
      return new TauonError(
        'protocol',
        `the ack of request ${frame.id} has ${frame.seqs.length} seqs and ${frame.positions.length} positions for ${count} events`,
      );
    }
    this.inFlight.delete(frame.id);
    this.resolveAll(write, frame);
    this.pump();
    return undefined;
  }

  /** Fails the callers of a frame the server refused. Returns false when the id is not ours. */
  onError(frame: ErrorFrame): boolean {
    if (frame.id === undefined) return false;
    const write = this.inFlight.get(frame.id);
    if (write === undefined) return false;
    this.inFlight.delete(frame.id);
    let error: TauonError;
    if (frame.code === 'chain-broken') {
      error = new ChainBrokenError(write.stream, frame.message);
    } else {
      error = errorFromWire(frame.code, frame.message, frame.details);
      this.broken.add(write.stream);
      // Writes to the stream sent before this failure arrived will be refused as chain-broken
      // (an invalidate takes part in its stream's chain like an append: SPEC.md, Chains).
      for (const other of this.inFlight.values()) {
        if (other.stream === write.stream) other.doomed = true;
      }
    }
    this.rejectAll(write, error);
    this.pump();
    return true;
  }

  /**
   * Fails everything queued or awaiting its answer with `error`, none of it sent again (the
   * store changed, SPEC 12); later emits are sent as usual.
   */
  failPending(error: TauonError): void {
    const writes = [...this.inFlight.values(), ...this.unsent.toArray()];
    this.inFlight.clear();
    this.unsent.clear();
    this.open.clear();
    this.broken.clear();
    for (const write of writes) this.rejectAll(write, error);
  }

  /** Fails everything queued or on its way with `error`; later emits fail with it at once. */
  close(error: TauonError): void {
    this.closedWith = error;
    this.sender = undefined;
    const writes = [...this.inFlight.values(), ...this.unsent.toArray()];
    this.inFlight.clear();
    this.unsent.clear();
    this.open.clear();
    for (const write of writes) this.rejectAll(write, error);
  }

  private newWrite(
    kind: Write['kind'],
    stream: string,
    expected: ExpectedVersion | undefined,
    dedupe: boolean,
    condition: AppendCondition | undefined,
    tx = 0,
    reason?: string,
  ): Write {
    return {
      id: this.options.nextId(),
      kind,
      stream,
      events: [],
      expected,
      dedupe,
      condition,
      callers: [],
      tx,
      reason,
      userIds: undefined,
      newChain: false,
      doomed: false,
    };
  }

  private fits(write: Write, dedupe: boolean, count: number, userIds: readonly string[] | undefined): boolean {
    if (write.dedupe !== dedupe) return false;
    if (write.events.length + count > this.eventLimit) return false;
    if (userIds !== undefined && write.userIds !== undefined) {
      for (const id of userIds) if (write.userIds.has(id)) return false;
    }
    return true;
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // A microtask: every emit of the current tick has joined its frame before anything is sent.
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    const sender = this.sender;
    if (sender === undefined) return;
    while (this.inFlight.size < this.options.maxAppendsInFlight && this.sender === sender) {
      const write = this.unsent.shift();
      if (write === undefined) break;
      if (this.open.get(write.stream) === write) this.open.delete(write.stream);
      this.transmit(write, sender);
    }
  }

  /** Encodes and sends one frame, splitting a coalesced frame that turns out too large. */
  private transmit(write: Write, sender: FrameSender): void {
    // A server that does not know conditions would ignore the field and write unconditionally.
    if (write.condition !== undefined && sender.features?.includes(APPEND_CONDITION_FEATURE) !== true) {
      this.rejectAll(write, new TauonError('unsupported', 'the server does not serve append conditions (no "append-condition" in welcome.features)'));
      return;
    }
    const newChain = write.newChain || this.broken.has(write.stream);
    let bytes: Uint8Array;
    try {
      bytes = sender.encode(this.frameOf(write, newChain));
    } catch (error) {
      if (write.callers.length > 1) {
        for (const part of this.split(write)) this.transmit(part, sender);
      } else {
        // Data the connection's codec cannot carry (JSON: binary, ...) keeps its own code.
        const unrepresentable = error instanceof TauonError && error.code === 'unrepresentable';
        this.rejectAll(write, unrepresentable ? error : new BadFrameError(`the emit cannot be encoded: ${String(error)}`, error));
      }
      return;
    }
    const limits = sender.limits;
    const tooMany = write.events.length > limits.maxEventsPerAppend;
    const tooLarge = bytes.length > limits.maxFrameBytes;
    if ((tooMany || tooLarge || bytes.length > this.options.maxFrameBytes) && write.callers.length > 1) {
      for (const part of this.split(write)) this.transmit(part, sender);
      return;
    }
    if (tooMany) {
      this.rejectAll(write, new TauonError('limit', `an emit of ${write.events.length} events exceeds the server's ${limits.maxEventsPerAppend}`));
      return;
    }
    if (tooLarge) {
      this.rejectAll(write, new TauonError('too-large', `an emit of ${bytes.length} bytes exceeds the server's ${limits.maxFrameBytes}`));
      return;
    }
    write.newChain = newChain;
    if (newChain) this.broken.delete(write.stream);
    this.inFlight.set(write.id, write);
    sender.sendEncoded(bytes);
  }

  /** Splits a coalesced frame into two halves by caller, in order. */
  private split(write: Write): [Write, Write] {
    const middle = Math.ceil(write.callers.length / 2);
    const halves: [Write, Write] = [
      this.newWrite(write.kind, write.stream, write.expected, write.dedupe, write.condition),
      this.newWrite(write.kind, write.stream, write.expected, write.dedupe, write.condition),
    ];
    write.callers.forEach((caller, index) => {
      const half = halves[index < middle ? 0 : 1];
      half.callers.push({ ...caller, offset: half.events.length });
      for (let i = caller.offset; i < caller.offset + caller.count; i += 1) {
        half.events.push(write.events[i] as EventInput);
      }
    });
    halves[0].newChain = write.newChain;
    return halves;
  }

  private frameOf(write: Write, newChain: boolean): AppendFrame | InvalidateFrame {
    if (write.kind === 'invalidate') {
      const frame: InvalidateFrame = { type: 'invalidate', id: write.id, stream: write.stream, tx: write.tx };
      if (write.reason !== undefined) frame.reason = write.reason;
      return frame;
    }
    const frame: AppendFrame = { type: 'append', id: write.id, stream: write.stream, events: write.events };
    if (write.expected !== undefined) frame.expected = write.expected;
    if (write.dedupe) frame.dedupe = true;
    if (newChain) frame.newChain = true;
    if (write.condition !== undefined) frame.condition = write.condition;
    return frame;
  }

  private resolveAll(write: Write, frame: AppendedFrame): void {
    const { seqs, positions, tx } = frame;
    const dups = frame.dups ?? [];
    if (write.callers.length === 1) {
      const duplicates = new Array<boolean>(seqs.length).fill(false);
      for (const index of dups) if (index < seqs.length) duplicates[index] = true;
      (write.callers[0] as Caller).resolve(ackOf(write.stream, tx, seqs, positions, duplicates));
      return;
    }
    // Most callers emitted one event: each gets arrays of its own, built without a frame-wide
    // array of flags to slice from.
    const duplicate = dups.length === 0 ? undefined : new Set(dups);
    for (const caller of write.callers) {
      const { offset, count } = caller;
      const callerSeqs = new Array<number>(count);
      const callerPositions = new Array<number>(count);
      const duplicates = new Array<boolean>(count);
      for (let index = 0; index < count; index += 1) {
        callerSeqs[index] = seqs[offset + index] as number;
        callerPositions[index] = positions[offset + index] as number;
        duplicates[index] = duplicate?.has(offset + index) ?? false;
      }
      caller.resolve(ackOf(write.stream, tx, callerSeqs, callerPositions, duplicates));
    }
  }

  private rejectAll(write: Write, error: TauonError): void {
    for (const caller of write.callers) caller.reject(error);
  }
}

/**
 * The event as it goes on the wire: its protocol fields only, id first, in one fixed order. A
 * copy of one fixed shape encodes about twice as fast as a spread of the caller's object (and
 * a later change to that object cannot reach the frame); fields outside the protocol would be
 * dropped by the server anyway.
 */
function wireEvent(event: EmitEvent, id: string): EventInput {
  const wire: EventInput = { id, type: event.type };
  if (event.key !== undefined) wire.key = event.key;
  if (event.data !== undefined) wire.data = event.data;
  if (event.meta !== undefined) wire.meta = event.meta;
  if (event.time !== undefined) wire.time = event.time;
  if (event.causation !== undefined) wire.causation = event.causation;
  if (event.correlation !== undefined) wire.correlation = event.correlation;
  if (event.schema !== undefined) wire.schema = event.schema;
  return wire;
}

function ackOf(stream: string, tx: number, seqs: number[], positions: number[], duplicates: boolean[]): EmitAck {
  return { stream, tx, seq: seqs[0] ?? 0, pos: positions[0] ?? 0, seqs, positions, duplicates };
}
