import { JetStreamApiError, type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import type { StoredEvent } from '../../../protocol/frames.js';
import { ChainBrokenError, TauonError } from '../../../protocol/errors.js';
import { planAppend, type AppendTarget } from '../append-planner.js';
import type { AppendOutcome, AppendRequest } from '../event-store.js';
import { ClaimBook, isWrongLastSequence, type ClaimPointer, type ClaimState, type IdClaims } from './claims.js';
import type { WriteHead, WriteHeads } from './heads.js';
import { MessageDraft, POSITIONS_PER_MESSAGE, positionOf } from './message.js';
import type { JetStreamReader } from './reader.js';
import { subjectOfStream } from './subjects.js';
import type { CommitTail } from './tail.js';
import { StoreClock } from '../store-clock.js';
import { CommitDurations } from '../../metrics-commit-durations.js';

/** What the writer needs around it; the store wires these. */
export interface WriterParts {
  readonly js: JetStreamClient;
  readonly reader: JetStreamReader;
  readonly heads: WriteHeads;
  readonly claims: IdClaims;
  readonly tail: CommitTail;
  readonly subjectPrefix: string;
}

/** Tuning of the writer. */
export interface WriterOptions {
  /** Most bytes of one message body (below the server's max_payload). */
  readonly maxMessageBytes: number;
  /** How long one publish waits for JetStream's ack, in ms. */
  readonly publishTimeoutMs: number;
  /**
   * How long an id claimed for another stream, whose message has not landed yet, is waited for
   * before the append fails with `overloaded`; and the age after which such a claim counts as
   * abandoned (its writer died) and is taken over, in ms.
   */
  readonly claimWaitMs: number;
  readonly claimTimeoutMs: number;
  /** How long an append waits for the commit tail to pass its own message, in ms. */
  readonly tailWaitMs: number;
}

/** Most events taken into one batch (more calls wait for the next one). */
const MAX_BATCH_EVENTS = 20_000;
/** Rounds of a batch lost to concurrent writers (other servers) before its appends give up. */
const MAX_CONFLICT_ROUNDS = 50;
/** Attempts of one publish whose ack did not come (same Nats-Msg-Id, so it lands at most once). */
const PUBLISH_ATTEMPTS = 3;

/** One `append()` call waiting for its outcomes. */
interface PendingCall {
  readonly requests: readonly AppendRequest[];
  readonly resolve: (outcomes: AppendOutcome[]) => void;
  readonly reject: (error: unknown) => void;
}

/** One request of a batch. */
interface Entry {
  readonly call: PendingCall;
  readonly request: AppendRequest;
  /** Its outcome, once final. Positions below POSITIONS_PER_MESSAGE are offsets in its message. */
  outcome: AppendOutcome | undefined;
  /** The JetStream sequence of the message that holds its written events. */
  jsSeq: number | undefined;
}

/** The message one round writes to one stream, and the entries planned into it. */
interface StreamPlan {
  readonly stream: string;
  /**
   * The JetStream sequence of the stream's last message as the round planned against it (the
   * cached head itself moves on with the commit tail while the round runs).
   */
  readonly basis: number;
  readonly entries: Entry[];
  draft: MessageDraft | undefined;
  /** Ids of the events in the draft. */
  readonly ids: string[];
  /** Entries whose outcome relied on this plan's not-yet-published events of another stream. */
  readonly dependents: Entry[];
}

/** A landed message, to be confirmed by the commit tail. */
interface Landed {
  readonly jsSeq: number;
  readonly entries: readonly Entry[];
}

/**
 * The result of one publish: landed; lost to another writer of the stream; refused by JetStream
 * (it answered with an error: nothing was stored); or no answer (it may or may not have landed).
 */
type PublishResult =
  | { readonly kind: 'landed'; readonly jsSeq: number }
  | { readonly kind: 'conflict' }
  | { readonly kind: 'refused'; readonly error: JetStreamApiError }
  | { readonly kind: 'unknown'; readonly error: unknown };

/** Per call, the streams to which one of its requests failed for good: later ones to them are chain-broken. */
type FailedChains = Map<PendingCall, Set<string>>;

/**
 * Turns `append()` calls into JetStream messages: one message per stream per round, carrying
 * every transaction the round writes to that stream (JetStream 2.9 has no atomic batch, and one
 * message is atomic), published with Nats-Expected-Last-Subject-Sequence (the stream's last
 * message as the planner saw it) and Nats-Msg-Id (the first written event's id: JetStream's
 * duplicate window then refuses a second message starting with the same event, and a retried
 * publish lands once).
 *
 * Calls queue while a batch is in flight and go together into the next one (group commit), so
 * a busy stream costs one publish per batch, not per call. Within a batch the rules of `append`
 * (append-planner.ts) run against the cached heads and the id claims; a publish that JetStream
 * refuses because another server wrote the stream first sends the stream's requests (and what
 * relied on them) to another round, planned against the new head.
 */
export class JetStreamWriter {
  private readonly queue: PendingCall[] = [];
  private loop: Promise<void> | undefined;
  /** Settles when the last batch's calls were answered: answers go out in commit order. */
  private answered: Promise<void> = Promise.resolve();
  private readonly clock = new StoreClock();

  /** Told how long each batch took to publish and be acknowledged (EventStore.onCommitDuration). */
  readonly commitDurations = new CommitDurations();

  constructor(
    private readonly parts: WriterParts,
    private readonly options: WriterOptions,
  ) {}

  /** Queues a call; resolves with its outcomes once its messages were dispatched by the tail. */
  append(requests: readonly AppendRequest[]): Promise<AppendOutcome[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ requests, resolve, reject });
      this.loop ??= this.drain();
    });
  }

  /** Resolves when every queued call was answered. */
  async idle(): Promise<void> {
    while (this.loop !== undefined) await this.loop;
    await this.answered;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const calls = this.takeBatch();
        const entries = calls.flatMap((call) =>
          call.requests.map((request): Entry => ({ call, request, outcome: undefined, jsSeq: undefined })),
        );
        let result: { landed: Landed[]; release: () => Promise<void> } | undefined;
        let failure: unknown;
        const startedAt = performance.now();
        try {
          result = await this.commit(entries);
          this.commitDurations.since(startedAt);
        } catch (error) {
          failure = error;
        }
        // Answer in order, without holding up the next batch's planning and publishing.
        const previous = this.answered;
        this.answered = (async () => {
          await previous;
          if (result === undefined) {
            for (const call of calls) call.reject(asStoreError(failure));
            return;
          }
          try {
            await this.confirm(result.landed);
            for (const call of calls) {
              call.resolve(entries.filter((entry) => entry.call === call).map((entry) => entry.outcome!));
            }
          } catch (error) {
            for (const call of calls) call.reject(asStoreError(error));
          }
          await result.release().catch(() => undefined);
        })();
      }
    } finally {
      this.loop = undefined;
    }
  }

  private takeBatch(): PendingCall[] {
    const calls: PendingCall[] = [];
    let events = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      const size = next.requests.reduce((sum, request) => sum + request.events.length, 0);
      if (calls.length > 0 && events + size > MAX_BATCH_EVENTS) break;
      calls.push(this.queue.shift()!);
      events += size;
    }
    return calls;
  }

  /**
   * Decides and writes every entry of a batch, in rounds; answers the landed messages and a
   * function that releases the claims no stored event uses.
   */
  private async commit(entries: Entry[]): Promise<{ landed: Landed[]; release: () => Promise<void> }> {
    const book = new ClaimBook(this.parts.claims, { waitMs: this.options.claimWaitMs, timeoutMs: this.options.claimTimeoutMs });
    const used = new Set<string>();
    const undecided = new Set<string>();
    const landed: Landed[] = [];
    const failedChains: FailedChains = new Map();
    let pending = entries;
    let conflicts = 0;
    while (pending.length > 0) {
      const { retry, lost } = await this.round(pending, book, used, undecided, landed, failedChains);
      if (lost) conflicts++;
      if (conflicts > MAX_CONFLICT_ROUNDS) {
        for (const entry of retry) {
          entry.outcome = failed(
            new TauonError('overloaded', `too many concurrent writers on stream ${entry.request.stream}; try again`),
          );
        }
        break;
      }
      if (lost && conflicts > 2) await pause(Math.min(100, 2 ** conflicts) * Math.random());
      pending = retry;
    }
    const release = (): Promise<void> => book.release((id) => used.has(id) || undecided.has(id));
    return { landed, release };
  }

  /**
   * One round: claims the ids, plans every pending entry against the heads, publishes one
   * message per stream, and answers the entries that must go round again.
   */
  private async round(
    pending: readonly Entry[],
    book: ClaimBook,
    used: Set<string>,
    undecided: Set<string>,
    landed: Landed[],
    /** Failures of earlier rounds, which later requests of the same call and stream must follow. */
    failedChains: FailedChains,
  ): Promise<{ retry: Entry[]; lost: boolean }> {
    const { heads } = this.parts;
    for (const entry of pending) {
      entry.outcome = undefined;
      entry.jsSeq = undefined;
    }

    // 1. The heads of the streams written, with their keys where content de-duplication needs them.
    const needsKeys = new Map<string, boolean>();
    for (const { request } of pending) {
      const keyed = request.dedupe && request.events.some((event) => event.key !== undefined);
      needsKeys.set(request.stream, (needsKeys.get(request.stream) ?? false) || keyed);
    }
    const streamHeads = new Map<string, WriteHead>();
    await Promise.all(
      [...needsKeys].map(async ([stream, withKeys]) => streamHeads.set(stream, await heads.get(stream, withKeys))),
    );

    // 2. Every id of the round: claimed now, or what holds it.
    const firstStream = new Map<string, string>();
    for (const { request } of pending) {
      for (const event of request.events) if (!firstStream.has(event.id)) firstStream.set(event.id, request.stream);
    }
    const states = new Map<string, ClaimState>();
    await Promise.all(
      [...firstStream].map(async ([id, stream]) => {
        states.set(id, await book.resolve(id, { stream, after: streamHeads.get(stream)!.jsSeq }));
      }),
    );

    // 3. Plan, in order, against the heads plus what the round writes before each entry.
    const plans = new Map<string, StreamPlan>();
    const planOf = (stream: string): StreamPlan => {
      let plan = plans.get(stream);
      if (plan === undefined) {
        plan = { stream, basis: streamHeads.get(stream)!.jsSeq, entries: [], draft: undefined, ids: [], dependents: [] };
        plans.set(stream, plan);
      }
      return plan;
    };
    const written = new Map<string, StoredEvent>();
    const roundHeads = new Map<string, { head: number; tx: number }>();
    const roundKeys = new Map<string, Map<string, StoredEvent>>();
    const broken = new Map<PendingCall, Set<string>>();
    const deferred = new Set<string>();
    const retry: Entry[] = [];
    for (const entry of pending) {
      const { request } = entry;
      const stream = request.stream;
      const plan = planOf(stream);
      const brokenStreams = broken.get(entry.call) ?? new Set<string>(failedChains.get(entry.call));
      broken.set(entry.call, brokenStreams);
      if (brokenStreams.has(stream)) {
        entry.outcome = failed(new ChainBrokenError(stream));
        plan.entries.push(entry);
        continue;
      }
      if (deferred.has(stream)) {
        retry.push(entry);
        continue;
      }
      const here: ClaimPointer = { stream, after: plan.basis };
      const busy = request.events.find((event) => book.blocks(event.id, states.get(event.id)!, here));
      let reliedOn: string | undefined;
      const target: AppendTarget = {
        streamHead: (s) => {
          const overlay = roundHeads.get(s);
          if (overlay !== undefined) return overlay;
          const head = streamHeads.get(s)!;
          return head.head === 0 ? undefined : { head: head.head, tx: head.tx };
        },
        eventById: (id) => {
          const mine = written.get(id);
          if (mine !== undefined) {
            if (mine.stream !== stream) reliedOn = mine.stream;
            return mine;
          }
          const state = states.get(id);
          return state?.kind === 'stored' ? state.event : undefined;
        },
        newestOfKey: (s, key) => roundKeys.get(s)?.get(key) ?? streamHeads.get(s)!.keys?.get(key),
        write: () => undefined,
      };
      const outcome =
        busy !== undefined
          ? failed(new TauonError('overloaded', `event id ${busy.id} is being written by another server; try again`))
          : planAppend(request, target, this.clock, plan.draft?.size ?? 0);
      if (reliedOn !== undefined) plans.get(reliedOn)?.dependents.push(entry);
      if (!outcome.ok) {
        brokenStreams.add(stream);
        entry.outcome = outcome;
        plan.entries.push(entry);
        continue;
      }
      if (outcome.written.length > 0) {
        const encoded = MessageDraft.encodeEvents(outcome.written);
        const bytes = encoded.reduce((sum, e) => sum + e.length, 0);
        const draft = plan.draft ?? new MessageDraft(stream, plan.basis);
        if (draft.size + outcome.written.length >= POSITIONS_PER_MESSAGE || draft.sizeWith(bytes) > this.options.maxMessageBytes) {
          if (draft.size === 0) {
            brokenStreams.add(stream);
            entry.outcome = failed(
              outcome.written.length >= POSITIONS_PER_MESSAGE
                ? new TauonError('limit', `an append to ${stream} carries more than ${POSITIONS_PER_MESSAGE - 1} events`)
                : new TauonError('too-large', `an append to ${stream} is larger than a JetStream message may be (${this.options.maxMessageBytes} bytes)`),
            );
            plan.entries.push(entry);
          } else {
            deferred.add(stream);
            retry.push(entry);
          }
          continue;
        }
        draft.add(outcome.written, encoded);
        plan.draft = draft;
        const last = outcome.written[outcome.written.length - 1]!;
        roundHeads.set(stream, { head: last.seq, tx: last.tx });
        let keys = roundKeys.get(stream);
        for (const event of outcome.written) {
          written.set(event.id, event);
          plan.ids.push(event.id);
          if (event.key !== undefined) {
            keys ??= new Map();
            keys.set(event.key, event);
          }
        }
        if (keys !== undefined) roundKeys.set(stream, keys);
      }
      entry.outcome = outcome;
      plan.entries.push(entry);
    }

    // 4. Every written id's claim must name its message before the message is published.
    const secured: Promise<boolean>[] = [];
    for (const plan of plans.values()) {
      if (plan.draft === undefined) continue;
      const pointer: ClaimPointer = { stream: plan.stream, after: plan.draft.prev };
      for (const id of plan.ids) secured.push(book.secure(id, pointer, states.get(id)!));
    }
    if (!(await Promise.all(secured)).every(Boolean)) {
      // Someone else changed a claim between our read and our write: plan everything again.
      return { retry: [...pending], lost: true };
    }

    // 5. Publish the messages (in order, pipelined), and check that what the heads decided for
    //    streams without a message still holds.
    const results = await Promise.all(
      [...plans.values()].filter((plan) => plan.entries.length > 0).map(async (plan): Promise<[StreamPlan, PublishResult]> => {
        if (plan.draft !== undefined) return [plan, await this.publish(plan.draft)];
        const current = await heads.isLast(plan.stream, plan.basis);
        return [plan, current ? { kind: 'landed', jsSeq: 0 } : { kind: 'conflict' }];
      }),
    );

    // 6. Settle the landed, send the rest round again.
    let lost = false;
    const again = new Set<Entry>(retry);
    const stale: string[] = [];
    for (const [plan, result] of results) {
      if (result.kind === 'landed') {
        if (plan.draft !== undefined) this.settleLanded(plan, result.jsSeq, used, landed);
        continue;
      }
      if (result.kind === 'unknown' || result.kind === 'refused') {
        stale.push(plan.stream);
        // Claims of ids that may have landed stay: the claim then names their message.
        if (result.kind === 'unknown') for (const id of plan.ids) undecided.add(id);
        const message =
          result.kind === 'unknown'
            ? `jetstream store: no answer from JetStream for an append to ${plan.stream}; it may or may not be written`
            : `jetstream store: JetStream refused an append to ${plan.stream}: ${result.error.message}`;
        for (const entry of plan.entries) entry.outcome = failed(new TauonError('internal', message, { cause: result.error }));
        continue;
      }
      lost = true;
      stale.push(plan.stream);
      for (const entry of plan.entries) again.add(entry);
      for (const entry of plan.dependents) again.add(entry);
    }
    // Later requests of a call to a stream follow its retried request into the next round.
    const retriedChains = new Map<PendingCall, Set<string>>();
    for (const entry of pending) {
      const streams = retriedChains.get(entry.call);
      if (again.has(entry)) {
        if (streams === undefined) retriedChains.set(entry.call, new Set([entry.request.stream]));
        else streams.add(entry.request.stream);
      } else if (streams?.has(entry.request.stream) === true) {
        again.add(entry);
      }
    }
    // What failed for good stays failed: a later request of the call to that stream, retried or
    // deferred into another round, must not be written after it.
    for (const entry of pending) {
      if (again.has(entry) || entry.outcome?.ok !== false) continue;
      const streams = failedChains.get(entry.call);
      if (streams === undefined) failedChains.set(entry.call, new Set([entry.request.stream]));
      else streams.add(entry.request.stream);
    }
    await Promise.all(stale.map((stream) => heads.catchUp(stream)));
    return { retry: pending.filter((entry) => again.has(entry)), lost };
  }

  /** Publishes one message; a lost ack is retried with the same Nats-Msg-Id. */
  private async publish(draft: MessageDraft): Promise<PublishResult> {
    const body = draft.toBytes();
    const subject = subjectOfStream(this.parts.subjectPrefix, draft.stream);
    let lastError: unknown;
    for (let attempt = 0; attempt < PUBLISH_ATTEMPTS; attempt++) {
      let ack: PubAck;
      try {
        ack = await this.parts.js.publish(subject, body, {
          expect: { lastSubjectSequence: draft.prev },
          msgID: draft.msgId,
          timeout: this.options.publishTimeoutMs,
        });
      } catch (error) {
        if (isWrongLastSequence(error)) return { kind: 'conflict' };
        // JetStream's error answer means this attempt stored nothing; an earlier one may have.
        if (error instanceof JetStreamApiError && attempt === 0) return { kind: 'refused', error };
        if (!isRetriable(error)) return { kind: 'unknown', error };
        lastError = error;
        await pause(100 * (attempt + 1));
        continue;
      }
      if (!ack.duplicate) return { kind: 'landed', jsSeq: ack.seq };
      // The duplicate window knows this message id: our own earlier attempt landed, or another
      // writer's message starting with the same event did (then the ids are stored: plan again,
      // and they answer as duplicates). On the first attempt it cannot be our own, even when
      // the bytes are the same: another server retrying the same events builds the same message.
      if (attempt === 0) return { kind: 'conflict' };
      const original = await this.parts.reader.messageAt(ack.seq);
      if (original !== undefined && sameBytes(original.data, body)) return { kind: 'landed', jsSeq: ack.seq };
      return { kind: 'conflict' };
    }
    return { kind: 'unknown', error: lastError };
  }

  /** Fixes the outcomes of a stream's entries once its message landed at `jsSeq`. */
  private settleLanded(plan: StreamPlan, jsSeq: number, used: Set<string>, landed: Landed[]): void {
    for (const id of plan.ids) used.add(id);
    const events: StoredEvent[] = [];
    for (const entry of plan.entries) {
      const outcome = entry.outcome;
      if (outcome === undefined || !outcome.ok) continue;
      entry.jsSeq = jsSeq;
      const positions = outcome.positions.map((pos) => (pos < POSITIONS_PER_MESSAGE ? positionOf(jsSeq, pos) : pos));
      const writtenNow = outcome.written.map((event) => ({ ...event, pos: positionOf(jsSeq, event.pos) }));
      events.push(...writtenNow);
      entry.outcome = { ...outcome, positions, written: writtenNow };
    }
    const last = events[events.length - 1]!;
    this.parts.heads.apply({ stream: plan.stream, jsSeq, prev: plan.draft!.prev, lastSeq: last.seq, lastTx: last.tx, events });
    landed.push({ jsSeq, entries: plan.entries });
  }

  /**
   * Waits until the commit tail has dispatched the landed messages (so onCommit listeners heard
   * of them first), then gives their events the time JetStream recorded them at.
   */
  private async confirm(landed: readonly Landed[]): Promise<void> {
    if (landed.length === 0) return;
    const { tail, reader } = this.parts;
    const last = Math.max(...landed.map((l) => l.jsSeq));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.tailWaitMs)));
    try {
      await Promise.race([tail.waitFor(last), timeout]);
    } finally {
      clearTimeout(timer);
    }
    for (const { jsSeq, entries } of landed) {
      const recorded = tail.recordedOf(jsSeq) ?? (await reader.messageAt(jsSeq))?.recorded;
      if (recorded === undefined) throw new TauonError('internal', `jetstream store: message ${jsSeq} vanished after it was acknowledged`);
      for (const entry of entries) {
        const outcome = entry.outcome;
        if (outcome === undefined || !outcome.ok || entry.jsSeq !== jsSeq) continue;
        entry.outcome = { ...outcome, written: outcome.written.map((event) => ({ ...event, recorded })) };
      }
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Errors after which the publish may have landed or not: time-outs and lost connections. */
function isRetriable(error: unknown): boolean {
  const name = error instanceof Error ? error.name : '';
  return name === 'TimeoutError' || name === 'NoRespondersError' || name === 'RequestError';
}

function failed(error: TauonError): AppendOutcome {
  return { ok: false, error };
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function asStoreError(error: unknown): TauonError {
  if (error instanceof TauonError) return error;
  return new TauonError('internal', `jetstream store: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
