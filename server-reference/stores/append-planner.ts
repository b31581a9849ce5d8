import type { AppendCondition, ExpectedVersion, StoredEvent } from '../../protocol/frames.js';
import { ChainBrokenError, TauonError, WrongExpectedVersionError } from '../../protocol/errors.js';
import type { AppendHooks, AppendOutcome, AppendRequest } from './event-store.js';
import { conditionRefusal, type ConditionVerdict } from './append-condition.js';
import { deepEqual } from './deep-equal.js';
import type { StoreClock } from './store-clock.js';

/*
 * The rules of `append` that do not depend on how a store keeps its data: idempotent ids,
 * expected versions, content de-duplication, seq/pos/tx assignment and the chain-broken rule
 * within one call. A store supplies its lookups and its write (AppendTarget); both the memory
 * and the LMDB store run their appends through here, so the rules are written once.
 */

/** The head of a stream as the planner needs it. */
export interface StreamHead {
  /** The seq of the stream's last event. */
  readonly head: number;
  /** The stream's last transaction. */
  readonly tx: number;
}

/**
 * What a store gives the planner. Lookups must see every write made earlier in the same call
 * (earlier requests of the call are part of the state later ones are checked against).
 */
export interface AppendTarget {
  /** The stream's head, or undefined when it has no events. */
  streamHead(stream: string): StreamHead | undefined;
  /** The stored event with this id, in any stream. */
  eventById(id: string): StoredEvent | undefined;
  /** The newest stored event of `key` in `stream`. Called only for appends with `dedupe`. */
  newestOfKey(stream: string, key: string): StoredEvent | undefined;
  /**
   * Checks an append's condition against every event stored (and written earlier in the call):
   * present on the targets of stores that check conditions (EventStore.checksAppendConditions).
   */
  conditionVerdict?(condition: AppendCondition): ConditionVerdict;
  /** Writes the events of one successful request (all to `stream`, in seq order). */
  write(stream: string, events: readonly StoredEvent[]): void;
}

/** The outcome of one `append()` call. */
export interface AppendCallResult {
  /** One outcome per request, in order. */
  readonly outcomes: AppendOutcome[];
  /** Every event written by the call, in position order. */
  readonly written: StoredEvent[];
  /** The position after the last one used. */
  readonly nextPos: number;
}

/**
 * Applies the requests of one `append()` call in order against `target`: plans each request,
 * writes it when it succeeds, and fails later requests to a stream after one to it failed
 * (`chain-broken`). Positions are handed out from `firstPos` on, one per written event.
 * `hooks` (see AppendHooks): `refuse` is asked before each request is planned, `onDecided`
 * hears the outcomes before the function returns.
 */
export function applyAppendCall(
  requests: readonly AppendRequest[],
  target: AppendTarget,
  clock: StoreClock,
  firstPos: number,
  hooks?: AppendHooks,
): AppendCallResult {
  const outcomes: AppendOutcome[] = [];
  const written: StoredEvent[] = [];
  let nextPos = firstPos;
  let broken: Set<string> | undefined;
  for (let index = 0; index < requests.length; index++) {
    const request = requests[index]!;
    if (broken?.has(request.stream)) {
      outcomes.push({ ok: false, error: new ChainBrokenError(request.stream) });
      continue;
    }
    const refusal = hooks?.refuse?.(index);
    const outcome = refusal === undefined ? planAppend(request, target, clock, nextPos) : failed(refusal);
    if (!outcome.ok) {
      (broken ??= new Set()).add(request.stream);
    } else if (outcome.written.length > 0) {
      target.write(request.stream, outcome.written);
      nextPos += outcome.written.length;
      for (const event of outcome.written) written.push(event);
    }
    outcomes.push(outcome);
  }
  hooks?.onDecided?.(outcomes);
  return { outcomes, written, nextPos };
}

/**
 * Decides one request against the current state without writing: the outcome carries the events
 * to write (in `written`), or the error. See semantics.md, "append". The checks come in the
 * order of SPEC 5.8: the same id twice (bad-frame), an id stored in another stream
 * (duplicate-id), every event an id duplicate (the original ack), the expected version, the
 * condition, then content de-duplication event by event.
 */
export function planAppend(
  request: AppendRequest,
  target: AppendTarget,
  clock: StoreClock,
  nextPos: number,
): AppendOutcome {
  const { stream, events } = request;
  const count = events.length;
  if (count === 0) return failed(new TauonError('bad-frame', `append to ${stream} carries no events`));

  // The same id twice is a fault of the frame, whatever is stored: checked over the whole
  // append before any id is looked up, so that it wins over duplicate-id (SPEC 5.8).
  if (count > 1) {
    const seen = new Set<string>();
    for (const event of events) {
      if (seen.has(event.id)) {
        return failed(new TauonError('bad-frame', `event id ${event.id} appears twice in one append`, { details: { id: event.id } }));
      }
      seen.add(event.id);
    }
  }

  // Idempotency: find the events already stored (by id) before anything else.
  const originals: (StoredEvent | undefined)[] = new Array<StoredEvent | undefined>(count);
  let idDuplicates = 0;
  for (let i = 0; i < count; i++) {
    const id = events[i]!.id;
    const existing = target.eventById(id);
    if (existing === undefined) continue;
    if (existing.stream !== stream) {
      // Only the id: the stream it is stored in may be one the session may not read.
      return failed(
        new TauonError('duplicate-id', `event id ${id} is already stored in another stream`, { details: { id } }),
      );
    }
    originals[i] = existing;
    idDuplicates++;
  }

  const seqs = new Array<number>(count);
  const positions = new Array<number>(count);
  const dups: number[] = [];

  // A retry of an append whose ack was lost: answer with the original ack, whatever the
  // stream has become since.
  if (idDuplicates === count) {
    for (let i = 0; i < count; i++) {
      const original = originals[i]!;
      seqs[i] = original.seq;
      positions[i] = original.pos;
      dups.push(i);
    }
    return { ok: true, tx: originals[0]!.tx, seqs, positions, dups, written: [] };
  }

  const head = target.streamHead(stream);
  const actual = head?.head ?? 0;
  if (!expectedVersionHolds(request.expected, actual)) {
    return failed(new WrongExpectedVersionError(stream, request.expected, actual));
  }

  // The condition, after the expected version (SPEC 5.8, step 10): both must hold.
  if (request.condition !== undefined) {
    if (target.conditionVerdict === undefined) {
      return failed(new TauonError('unsupported', 'this store cannot check an append\'s condition'));
    }
    const refusal = conditionRefusal(stream, request.condition, target.conditionVerdict(request.condition));
    if (refusal !== undefined) return failed(refusal);
  }

  const tx = (head?.tx ?? 0) + 1;
  const recorded = clock.now();
  const written: StoredEvent[] = [];
  // The newest event of each key written by this request, for de-duplication within it: an
  // earlier event of the request that wrote nothing does not count (its stored original does).
  const newestWritten = request.dedupe ? new Map<string, StoredEvent>() : undefined;
  let seq = actual;
  let pos = nextPos;
  let firstOriginalTx = originals[0]?.tx;
  for (let i = 0; i < count; i++) {
    const original = originals[i];
    if (original !== undefined) {
      seqs[i] = original.seq;
      positions[i] = original.pos;
      dups.push(i);
      continue;
    }
    const event = events[i]!;
    if (newestWritten !== undefined && event.key !== undefined) {
      const newest = newestWritten.get(event.key) ?? target.newestOfKey(stream, event.key);
      if (newest !== undefined && newest.type === event.type && deepEqual(newest.data, event.data)) {
        seqs[i] = newest.seq;
        positions[i] = newest.pos;
        dups.push(i);
        if (i === 0) firstOriginalTx = newest.tx;
        continue;
      }
    }
    seq++;
    const stored = storedEvent(event, stream, seq, pos, tx, recorded);
    pos++;
    seqs[i] = seq;
    positions[i] = stored.pos;
    written.push(stored);
    if (newestWritten !== undefined && stored.key !== undefined) newestWritten.set(stored.key, stored);
  }
  // Every event was a duplicate of one kind or another: nothing written, no new transaction.
  const answerTx = written.length > 0 ? tx : firstOriginalTx!;
  return { ok: true, tx: answerTx, seqs, positions, dups, written };
}

/** Whether a stream whose head is `actual` (0 when absent) satisfies `expected`. */
export function expectedVersionHolds(expected: ExpectedVersion, actual: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'none':
      return actual === 0;
    case 'exists':
      return actual >= 1;
    default:
      return actual === expected;
  }
}

/**
 * The stored form of an event: the producer's fields that are set, then the store's fields, in
 * one fixed order. Fields that are undefined are left out entirely, so that every codec (and
 * every store) encodes the same event to the same bytes.
 */
export function storedEvent(
  event: AppendRequest['events'][number],
  stream: string,
  seq: number,
  pos: number,
  tx: number,
  recorded: number,
): StoredEvent {
  const stored: Record<string, unknown> = { id: event.id, type: event.type };
  if (event.key !== undefined) stored['key'] = event.key;
  if (event.data !== undefined) stored['data'] = event.data;
  if (event.meta !== undefined) stored['meta'] = event.meta;
  if (event.time !== undefined) stored['time'] = event.time;
  if (event.causation !== undefined) stored['causation'] = event.causation;
  if (event.correlation !== undefined) stored['correlation'] = event.correlation;
  if (event.schema !== undefined) stored['schema'] = event.schema;
  stored['stream'] = stream;
  stored['seq'] = seq;
  stored['pos'] = pos;
  stored['tx'] = tx;
  stored['recorded'] = recorded;
  return stored as unknown as StoredEvent; // built field by field above
}

function failed(error: TauonError): AppendOutcome {
  return { ok: false, error };
}
