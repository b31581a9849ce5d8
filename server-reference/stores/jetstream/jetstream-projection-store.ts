import { randomUUID } from 'node:crypto';
import { JetStreamApiError, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { TauonError } from '../../../protocol/errors.js';
import type { ProjectionChange, ProjectionEntry, ProjectionRecord, ProjectionStore, ProjectionValue } from '../../projections/projection-store.js';
import { compareNames } from '../name-order.js';
import { MAX_PROJECTION_VALUE_BYTES, changesAsText, recordAsText } from '../projection-text.js';
import { isWrongLastSequence } from './claims.js';
import { PartCutter, ProjectionFold, draftParts, parseLogMessage, partText, type LogMessage, type PartDraft } from './projection-log.js';
import { TurnBudget } from '../../short-turns.js';
import type { JetStreamReader } from './reader.js';
import { decodeToken, encodeToken } from './subjects.js';

/** What a {@link JetStreamProjectionStore} works with. */
export interface JetStreamProjectionParts {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** Reads the JetStream stream of projections. */
  readonly reader: JetStreamReader;
  /** The subjects' first tokens: a projection's subject is `<root>.<its name as one token>`. */
  readonly subjectRoot: string;
  /** The most bytes one message may carry (the server's max_payload less room for headers). */
  readonly maxMessageBytes: number;
  readonly publishTimeoutMs: number;
}

/** How often a commit or reset tries again when other writers keep moving the subject under it. */
const ATTEMPTS = 10;
/** How often a publish whose answer was lost is sent again (with the same Nats-Msg-Id). */
const PUBLISH_ATTEMPTS = 3;
/** How often a fold starts over from the subject's first message when a purge moved it away. */
const REFOLDS = 5;
/**
 * A projection's log is compacted once it holds at least this many messages since its last
 * snapshot and more bytes than that snapshot: a snapshot then costs no more than the messages
 * it replaces, and a fold reads at most about twice the state.
 */
const COMPACT_MIN_MESSAGES = 100;
/** Room in a message for a key (1024 code points, up to 6 bytes each as JSON) and the part's other fields. */
const KEY_ROOM = 16 * 1024;

/**
 * Server-side projections' state on NATS JetStream (issue 18), shared by every server in front
 * of one JetStream: a JetStream stream of its own, `<stream>_projections`, with one subject per
 * projection (`<root>.<name>`, the name escaped into one token as group names are).
 *
 * JetStream 2.9 has no atomic batch of messages, so a commit is one message carrying its changes
 * and the record, published with Nats-Expected-Last-Subject-Sequence: of writers racing from the
 * same state, one lands and the others find the subject moved, read what landed and answer false
 * when the revision moved. A commit larger than one message goes in parts chained the same way;
 * it counts once its last part is there, so a reader sees all of it or nothing (projection-log.ts).
 *
 * Each server keeps every projection it read folded in memory, with the subject sequence of the
 * last message folded: a read asks JetStream for the subject's last message and folds only what
 * came after. Once a log has grown past its last snapshot, the server that committed writes a
 * snapshot of the whole state (in parts when large) and purges the messages before it. A value
 * may have at most 1 MiB of JSON, or what one message carries with a key beside it when the
 * server's max_payload is smaller.
 */
export class JetStreamProjectionStore implements ProjectionStore {
  private readonly folds = new Map<string, ProjectionFold>();
  /** Per projection, the end of the chain of work on it: one at a time, as they were asked for. */
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Work not yet settled: close waits for it. */
  private readonly pending = new Set<Promise<unknown>>();
  /** The most bytes of a value's (or record's) JSON. */
  private readonly maxValueBytes: number;

  constructor(
    private readonly parts: JetStreamProjectionParts,
    /** Throws when the store is closed. */
    private readonly assertOpen: () => void,
  ) {
    this.maxValueBytes = Math.min(MAX_PROJECTION_VALUE_BYTES, parts.maxMessageBytes - KEY_ROOM);
  }

  record(name: string): Promise<ProjectionRecord | undefined> {
    return this.inTurn(name, async () => {
      const record = (await this.refresh(name)).record;
      return record === undefined ? undefined : structuredClone(record);
    });
  }

  /** The value, or undefined when the key has none (ProjectionValue is `unknown`, which holds undefined). */
  get(name: string, key: string): Promise<ProjectionValue> {
    return this.inTurn(name, async () => structuredClone((await this.refresh(name)).values.get(key)));
  }

  entries(name: string, after: string | undefined, limit: number): Promise<ProjectionEntry[]> {
    return this.inTurn(name, async () => {
      if (limit <= 0) return [];
      const fold = await this.refresh(name);
      const keys = fold.sortedKeys();
      const from = after === undefined ? 0 : firstAfter(keys, after);
      return keys.slice(from, from + limit).map((key) => ({ key, value: structuredClone(fold.values.get(key)) }));
    });
  }

  commit(name: string, changes: readonly ProjectionChange[], record: ProjectionRecord, expected: number | undefined): Promise<boolean> {
    let drafts: PartDraft[];
    try {
      // Checked and encoded before anything is published: a value too large writes nothing.
      const texts = changesAsText(name, changes, this.maxValueBytes);
      const recordText = recordAsText(name, record);
      if (Buffer.byteLength(recordText, 'utf8') > this.maxValueBytes) {
        throw new TauonError('too-large', `projection "${name}": the record is larger than one message of this JetStream carries`, {
          details: { projection: name, limit: this.maxValueBytes },
        });
      }
      drafts = draftParts(texts, recordText, this.parts.maxMessageBytes);
    } catch (error) {
      return Promise.reject(storeError(error));
    }
    const written = this.inTurn(name, async () => {
      // The state in memory first: one round trip when it is the newest (one server writing).
      let fold = this.folds.get(name) ?? (await this.refresh(name));
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        if (fold.record?.revision !== expected) {
          fold = await this.refresh(name);
          if (fold.record?.revision !== expected) return false;
        }
        if (await this.publishGroup(name, fold, 'c', drafts)) return true;
        fold = await this.refresh(name);
      }
      throw new TauonError('overloaded', `projection "${name}": other writers moved it under ${ATTEMPTS} commits in a row; try again`);
    });
    void written.then((done) => {
      if (done) this.compactWhenDue(name);
    }, () => undefined);
    return written;
  }

  reset(name: string): Promise<void> {
    return this.inTurn(name, async () => {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const fold = await this.refresh(name);
        // A subject without messages has nothing to reset: no record, no values.
        if (fold.lastSeq === 0) return;
        if (await this.publishGroup(name, fold, 'r', [{ set: [], del: [], record: undefined }])) {
          await this.purgeBefore(name, fold.lastSeq);
          return;
        }
      }
      throw new TauonError('overloaded', `projection "${name}": other writers moved it under ${ATTEMPTS} resets in a row; try again`);
    });
  }

  list(): Promise<string[]> {
    return this.run(async () => {
      const subjects = await this.parts.reader.subjects(`${this.parts.subjectRoot}.>`);
      const names = subjects.flatMap((subject) => {
        const name = nameOfSubject(this.parts.subjectRoot, subject);
        return name === undefined ? [] : [name];
      });
      const records = await Promise.all(names.map((name) => this.record(name)));
      return names.filter((_, i) => records[i] !== undefined).sort(compareNames);
    });
  }

  /** Settles when the work asked for so far (compactions included) has settled. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /**
   * Publishes a group of parts after `fold.lastSeq`, each part expecting the one before it, and
   * folds them in. Answers false when another writer came first (nothing of the group counts).
   */
  private async publishGroup(name: string, fold: ProjectionFold, kind: LogMessage['k'], drafts: readonly PartDraft[]): Promise<boolean> {
    const id = randomUUID();
    const landed: { seq: number; text: string }[] = [];
    let prev = fold.lastSeq;
    for (const [part, draft] of drafts.entries()) {
      const text = partText(kind, id, part, drafts.length, prev, draft);
      const seq = await this.publish(subjectOf(this.parts.subjectRoot, name), text, prev, `${id}.${part}`);
      if (seq === undefined) return false;
      landed.push({ seq, text });
      prev = seq;
    }
    for (const { seq, text } of landed) {
      const bytes = new TextEncoder().encode(text);
      if (!fold.apply(seq, parseLogMessage(bytes), bytes.length)) throw new TauonError('internal', `projection "${name}": its own message did not follow its state`);
    }
    return true;
  }

  /** Publishes one message expecting `prev` last on the subject: its sequence, or undefined when another came first. */
  private async publish(subject: string, text: string, prev: number, msgID: string): Promise<number | undefined> {
    let lastError: unknown;
    for (let attempt = 0; attempt < PUBLISH_ATTEMPTS; attempt++) {
      try {
        // A duplicate (an earlier attempt landed, its answer lost) answers that attempt's sequence.
        const ack = await this.parts.js.publish(subject, text, {
          expect: { lastSubjectSequence: prev },
          msgID,
          timeout: this.parts.publishTimeoutMs,
        });
        return ack.seq;
      } catch (error) {
        if (isWrongLastSequence(error)) return undefined;
        // JetStream's error answer means nothing was stored; anything else may be a lost answer.
        if (error instanceof JetStreamApiError) throw error;
        lastError = error;
      }
    }
    throw new TauonError('internal', `jetstream store (projections): a publish was not answered ${PUBLISH_ATTEMPTS} times; it may or may not be written`, {
      cause: lastError,
    });
  }

  /**
   * The projection's state with every message on its subject folded in: from memory and the
   * messages after it, or, when a purge took messages it had not folded, from the subject's first.
   */
  private async refresh(name: string): Promise<ProjectionFold> {
    const subject = subjectOf(this.parts.subjectRoot, name);
    for (let attempt = 0; attempt < REFOLDS; attempt++) {
      const last = await this.parts.reader.lastOf(subject);
      let fold = this.folds.get(name);
      if (last === undefined || fold === undefined || last.jsSeq < fold.lastSeq) {
        fold = new ProjectionFold();
        this.folds.set(name, fold);
      }
      if (last === undefined || last.jsSeq === fold.lastSeq) return fold;
      const newest = parseLogMessage(last.data);
      // One message after the state in memory, the usual case: no scan.
      if (fold.lastSeq > 0 && newest.prev === fold.lastSeq) {
        if (fold.apply(last.jsSeq, newest, last.data.length)) return fold;
      } else {
        let followed = true;
        await this.parts.reader.scan(subject, { jsSeq: fold.lastSeq + 1 }, (raw) => {
          followed = fold.apply(raw.jsSeq, parseLogMessage(raw.data), raw.data.length);
          return followed;
        }, 64);
        if (followed && fold.lastSeq >= last.jsSeq) return fold;
      }
      // A purge took messages this fold had not read: fold again from the first one left.
      this.folds.delete(name);
    }
    throw new TauonError('internal', `projection "${name}": its messages were purged under ${REFOLDS} folds in a row`);
  }

  /** Compacts the projection's log, later, when it has grown past its last snapshot. */
  private compactWhenDue(name: string): void {
    const fold = this.folds.get(name);
    if (fold === undefined || fold.messagesSinceSnapshot < COMPACT_MIN_MESSAGES || fold.bytesSinceSnapshot < fold.snapshotBytes) return;
    this.inTurn(name, async () => {
      const current = await this.refresh(name);
      if (current.record === undefined || current.messagesSinceSnapshot < COMPACT_MIN_MESSAGES) return;
      const before = current.lastSeq;
      // In short turns: a state of a million values takes seconds to write out. Nothing of this
      // server changes the fold meanwhile (the work on a projection is one at a time), and
      // another server's commit makes the snapshot's first part find the subject moved.
      const cutter = new PartCutter(this.parts.maxMessageBytes);
      const turns = new TurnBudget();
      for (const [key, value] of current.values) {
        cutter.add(key, JSON.stringify(value));
        if (turns.count()) await turns.pause();
      }
      this.assertOpen();
      const drafts = cutter.finish(JSON.stringify(current.record));
      // Another writer coming in between abandons the snapshot: its parts are skipped, and the
      // next commit tries again.
      // The snapshot's first part came right after `before` on the subject (each part expects the
      // one before it), so the messages up to `before` are exactly those it replaces.
      if (await this.publishGroup(name, current, 's', drafts)) await this.purgeBefore(name, before + 1);
    }).catch(() => undefined);
  }

  /**
   * Purges the subject's messages before `seq`. Best effort: what stays is folded over again
   * (and purged by the next compaction), never wrong.
   */
  private async purgeBefore(name: string, seq: number): Promise<void> {
    await this.parts.jsm.streams.purge(this.parts.reader.streamName, { filter: subjectOf(this.parts.subjectRoot, name), seq }).catch(() => undefined);
  }

  /** Runs `work` on the projection after the work asked for before it, on an open store. */
  private inTurn<T>(name: string, work: () => Promise<T>): Promise<T> {
    const before = this.queues.get(name) ?? Promise.resolve();
    const result = before.then(() => this.run(work));
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(name, settled);
    this.pending.add(settled);
    void settled.then(() => {
      this.pending.delete(settled);
      if (this.queues.get(name) === settled) this.queues.delete(name);
    });
    return result;
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    this.assertOpen();
    try {
      return await work();
    } catch (error) {
      throw storeError(error);
    }
  }
}

/** The index of the first key after `after` in code point order. */
function firstAfter(keys: readonly string[], after: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareNames(keys[middle]!, after) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

function subjectOf(root: string, name: string): string {
  return `${root}.${encodeToken(name)}`;
}

/** The projection of a subject, or undefined for a subject this store did not write. */
function nameOfSubject(root: string, subject: string): string | undefined {
  if (!subject.startsWith(`${root}.`)) return undefined;
  try {
    return decodeToken(subject.slice(root.length + 1));
  } catch {
    return undefined;
  }
}

function storeError(error: unknown): TauonError {
  if (error instanceof TauonError) return error;
  return new TauonError('internal', `jetstream store (projections): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
