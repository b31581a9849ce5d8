import { TauonError } from '../protocol/errors.js';
import type { AppendedFrame, EventInput, StoredEvent } from '../protocol/frames.js';
import type { RequestSession } from './request-session.js';

/** Append frames awaiting their answer at once: enough to keep a remote store busy. */
const MAX_APPENDS_IN_FLIGHT = 32;

/** What an import did, event by event. */
export interface ImportCounts {
  /** Events written. */
  imported: number;
  /** Events whose id the stream already held (an earlier run, or the same event twice): not written again. */
  alreadyThere: number;
  /** `$invalidated` events written again, as an `invalidate` of the matching transaction. */
  invalidated: number;
  /** `$invalidated` events found already written at their place. */
  invalidatedAlreadyThere: number;
  /** System events not imported: unknown `$` types, and invalidations of a transaction the target lacks. */
  skipped: number;
}

/** A stream's difference between the target's numbers and the file's, when not 0 (see `#offsets`). */
interface Offsets {
  seq: number;
  tx: number;
}

/** The events of one transaction of the file, waiting to be appended as one. */
interface PendingTransaction {
  stream: string;
  tx: number;
  line: number;
  events: StoredEvent[];
}

/**
 * Appends exported events to a server, keeping what makes an import safe to repeat:
 *
 * - each transaction of the file (its events of one stream and one `tx`) is one `append`, in the
 *   file's order, so a stream's events keep their order and their grouping; into a stream that
 *   was empty they get the same seqs and txs as in the file;
 * - each event keeps its id: a second run, or one after an interruption, finds the ids stored
 *   and writes nothing again (SPEC 5.8 idempotency; an append is all or nothing);
 * - a `$invalidated` event (SPEC 5.5), which no client may append, is made again by an
 *   `invalidate` of the same transaction (shifted when the target stream held other events
 *   first), unless the event is already at its place: `invalidate` is not idempotent.
 *
 * Positions (`pos`), recording times (`recorded`) and the ids of `$invalidated` events are the
 * target's own. Memory holds one transaction (at most the server's maxEventsPerAppend events),
 * the appends in flight, and the offsets of streams whose numbers differ from the file's.
 */
export class EventImporter {
  readonly counts: ImportCounts = { imported: 0, alreadyThere: 0, invalidated: 0, invalidatedAlreadyThere: 0, skipped: 0 };
  readonly #session: RequestSession;
  readonly #warn: (message: string) => void;
  readonly #maxEventsPerAppend: number;
  /** Appends sent and not yet answered, oldest first. */
  readonly #inFlight: Promise<void>[] = [];
  /** Per stream, target minus file for seqs and txs; absent when both are 0 (an empty target stream). */
  readonly #offsets = new Map<string, Offsets>();
  #pending: PendingTransaction | undefined;

  constructor(session: RequestSession, warn: (message: string) => void) {
    this.#session = session;
    this.#warn = warn;
    this.#maxEventsPerAppend = session.welcome.limits.maxEventsPerAppend;
  }

  /** Takes the next event of the file (`line` is its line number, for the errors). */
  async add(event: StoredEvent, line: number): Promise<void> {
    if (event.type.startsWith('$')) {
      await this.#flush();
      await this.#drain();
      await this.#system(event, line);
      return;
    }
    const pending = this.#pending;
    if (pending !== undefined && (pending.stream !== event.stream || pending.tx !== event.tx || pending.events.length >= this.#maxEventsPerAppend)) {
      await this.#flush();
    }
    if (this.#pending === undefined) this.#pending = { stream: event.stream, tx: event.tx, line, events: [] };
    this.#pending.events.push(event);
  }

  /** Appends what is left and waits for every answer. */
  async finish(): Promise<void> {
    await this.#flush();
    await this.#drain();
  }

  /** Sends the pending transaction; waits first when too many appends are in flight. */
  async #flush(): Promise<void> {
    const pending = this.#pending;
    if (pending === undefined) return;
    this.#pending = undefined;
    const answer = this.#append(pending);
    // Awaited in order below; a failure is seen there, never as an unhandled rejection.
    answer.catch(() => undefined);
    this.#inFlight.push(answer);
    if (this.#inFlight.length >= MAX_APPENDS_IN_FLIGHT) await this.#inFlight.shift();
  }

  /**
   * After a failure: waits for the appends already sent, so that the counts say what was
   * written; their own failures (chain-broken after the first) add nothing to say. The pending
   * transaction is dropped, not written in part.
   */
  async settle(): Promise<void> {
    this.#pending = undefined;
    for (const answer of this.#inFlight.splice(0)) await answer.catch(() => undefined);
  }

  async #drain(): Promise<void> {
    while (this.#inFlight.length > 0) await this.#inFlight.shift();
  }

  async #append(pending: PendingTransaction): Promise<void> {
    const { stream, tx, line, events } = pending;
    let ack: AppendedFrame;
    try {
      ack = await this.#session.ask((id) => ({ type: 'append', id, stream, events: events.map(inputOf) }), 'appended');
    } catch (error) {
      throw located(error, `line ${line} (stream ${stream}, tx ${tx})`);
    }
    const duplicates = ack.dups?.length ?? 0;
    this.counts.alreadyThere += duplicates;
    this.counts.imported += events.length - duplicates;
    const last = events[events.length - 1]!;
    this.#setOffsets(stream, ack.seqs[ack.seqs.length - 1]! - last.seq, ack.tx - tx);
  }

  /** A system event: `$invalidated` is made again (once), any other is skipped. */
  async #system(event: StoredEvent, line: number): Promise<void> {
    const invalidated = invalidatedTx(event.data);
    if (event.type !== '$invalidated' || invalidated === undefined) {
      this.counts.skipped += 1;
      this.#warn(`line ${line}: skipped system event ${event.type} of ${event.stream} (seq ${event.seq}): no client can write it`);
      return;
    }
    const offsets = this.#offsets.get(event.stream) ?? { seq: 0, tx: 0 };
    const seq = event.seq + offsets.seq;
    const tx = invalidated.tx + offsets.tx;
    try {
      const page = await this.#session.ask((id) => ({ type: 'read', id, stream: event.stream, from: { at: seq }, limit: 1 }), 'page');
      const there = page.events[0];
      if (there !== undefined && there.seq === seq && there.type === '$invalidated' && invalidatedTx(there.data)?.tx === tx) {
        this.counts.invalidatedAlreadyThere += 1;
        this.#setOffsets(event.stream, offsets.seq, there.tx - event.tx);
        return;
      }
      const ack = await this.#session.ask(
        (id) => ({ type: 'invalidate', id, stream: event.stream, tx, ...(invalidated.reason === undefined ? {} : { reason: invalidated.reason }) }),
        'appended',
      );
      this.counts.invalidated += 1;
      this.#setOffsets(event.stream, ack.seqs[0]! - event.seq, ack.tx - event.tx);
    } catch (error) {
      if (error instanceof TauonError && error.code === 'not-found') {
        // The transaction is not in the target (an export filtered by type or key left it out).
        this.counts.skipped += 1;
        this.#warn(`line ${line}: skipped $invalidated of ${event.stream} tx ${invalidated.tx}: the target has no transaction ${tx} in that stream`);
        return;
      }
      throw located(error, `line ${line} ($invalidated of ${event.stream} tx ${invalidated.tx})`);
    }
  }

  #setOffsets(stream: string, seq: number, tx: number): void {
    if (seq === 0 && tx === 0) this.#offsets.delete(stream);
    else this.#offsets.set(stream, { seq, tx });
  }
}

/** The event as a producer sends it: its id and content, without its place in the source store. */
function inputOf(event: StoredEvent): EventInput {
  const input: EventInput = { id: event.id, type: event.type };
  if (event.key !== undefined) input.key = event.key;
  if (event.data !== undefined) input.data = event.data;
  if (event.meta !== undefined) input.meta = event.meta;
  if (event.time !== undefined) input.time = event.time;
  if (event.causation !== undefined) input.causation = event.causation;
  if (event.correlation !== undefined) input.correlation = event.correlation;
  if (event.schema !== undefined) input.schema = event.schema;
  return input;
}

/** The `{tx, reason?}` of a `$invalidated` event's data, or undefined when it is not that. */
function invalidatedTx(data: unknown): { tx: number; reason?: string } | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const { tx, reason } = data as { tx?: unknown; reason?: unknown };
  if (typeof tx !== 'number' || !Number.isSafeInteger(tx) || tx < 1) return undefined;
  return typeof reason === 'string' ? { tx, reason } : { tx };
}

/** The error with where in the file it happened, its code and details kept. */
function located(error: unknown, where: string): TauonError {
  if (error instanceof TauonError) return new TauonError(error.code, `${where}: ${error.message}`, { details: error.details, cause: error });
  return new TauonError('internal', `${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
