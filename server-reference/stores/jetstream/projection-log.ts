import type { ProjectionRecord, ProjectionValue } from '../../projections/projection-store.js';
import { compareNames } from '../name-order.js';
import type { ProjectionChangeText } from '../projection-text.js';

/*
 * The messages of a projection's subject in the JetStream store, and their fold into its state
 * (JetStreamProjectionStore). A projection's history is a chain of messages on its own subject,
 * each published with Nats-Expected-Last-Subject-Sequence equal to the `prev` it carries, so
 * that every message names the one before it. Messages come in groups of one or more parts (a
 * commit larger than one message is cut into several): a group counts once its last part is
 * there; the parts of a group abandoned half-way (a server died, or another writer came in
 * between) are skipped. Three kinds of group:
 * - `c` (commit): values set (`set`) and removed (`del`), and the record (`rec`, in the last part);
 * - `s` (snapshot): the whole state (every value and the record), after which the messages
 *   before it are purged (compaction);
 * - `r` (reset): no record and no values; the messages before it are purged.
 */

/** One message of a projection's subject, as JSON. */
export interface LogMessage {
  readonly k: 'c' | 's' | 'r';
  /** The group's id: the same in each of its parts. */
  readonly id: string;
  readonly part: number;
  readonly parts: number;
  /** The subject sequence of the message before it (0: the subject's first). */
  readonly prev: number;
  readonly set?: readonly (readonly [string, ProjectionValue])[];
  readonly del?: readonly string[];
  /** The record, in the last part of a commit or snapshot. */
  readonly rec?: ProjectionRecord;
}

/** What one part of a group holds before it is published (its `prev` is known only then). */
export interface PartDraft {
  readonly set: readonly (readonly [string, string])[];
  readonly del: readonly string[];
  readonly record: string | undefined;
}

/** Room for a part's fields other than its changes: kind, id, part, parts, prev, brackets. */
const PART_OVERHEAD = 256;

/**
 * Cuts a group's changes into parts of at most `maxBytes` bytes each (JSON), the record in the
 * last. Every change and the record must fit in a part by itself (the caller's bounds see to it).
 */
export function draftParts(changes: readonly ProjectionChangeText[], record: string | undefined, maxBytes: number): PartDraft[] {
  const cutter = new PartCutter(maxBytes);
  for (const { key, text } of changes) cutter.add(key, text);
  return cutter.finish(record);
}

/** Cuts changes, one at a time, into parts of at most `maxBytes` bytes (see draftParts). */
export class PartCutter {
  private readonly parts: PartDraft[] = [];
  private set: [string, string][] = [];
  private del: string[] = [];
  private size = PART_OVERHEAD;

  constructor(private readonly maxBytes: number) {}

  /** Adds a change: a value as JSON text, or undefined to remove the key. */
  add(key: string, text: string | undefined): void {
    const keyJson = JSON.stringify(key);
    const bytes = Buffer.byteLength(keyJson, 'utf8') + (text === undefined ? 1 : Buffer.byteLength(text, 'utf8') + 4);
    if (this.size + bytes > this.maxBytes && this.size > PART_OVERHEAD) this.close();
    if (text === undefined) this.del.push(keyJson);
    else this.set.push([keyJson, text]);
    this.size += bytes;
  }

  /** The parts, the record in the last. */
  finish(record: string | undefined): PartDraft[] {
    const recordBytes = record === undefined ? 0 : Buffer.byteLength(record, 'utf8') + 8;
    if (this.size + recordBytes > this.maxBytes && this.size > PART_OVERHEAD) this.close();
    this.parts.push({ set: this.set, del: this.del, record });
    return this.parts;
  }

  private close(): void {
    this.parts.push({ set: this.set, del: this.del, record: undefined });
    this.set = [];
    this.del = [];
    this.size = PART_OVERHEAD;
  }
}

/** The JSON text of one part, keys and values as the drafts hold them (already JSON). */
export function partText(kind: LogMessage['k'], id: string, part: number, parts: number, prev: number, draft: PartDraft): string {
  const set = draft.set.map(([key, value]) => `[${key},${value}]`).join(',');
  const record = draft.record === undefined ? '' : `,"rec":${draft.record}`;
  return `{"k":"${kind}","id":${JSON.stringify(id)},"part":${part},"parts":${parts},"prev":${prev},"set":[${set}],"del":[${draft.del.join(',')}]${record}}`;
}

/** A message's JSON, checked enough that a stray message on the subject is an error, not a wrong state. */
export function parseLogMessage(data: Uint8Array): LogMessage {
  const message = JSON.parse(new TextDecoder().decode(data)) as LogMessage;
  const valid =
    typeof message === 'object' &&
    message !== null &&
    ['c', 's', 'r'].includes(message.k) &&
    typeof message.id === 'string' &&
    Number.isInteger(message.part) &&
    Number.isInteger(message.parts) &&
    message.part >= 0 &&
    message.part < message.parts &&
    Number.isInteger(message.prev);
  if (!valid) throw new Error('a message on the subject is not a projection log message');
  return message;
}

/**
 * A projection's state folded from its messages, up to `lastSeq`: its record and values, and how
 * much the log has grown since its last snapshot (for compaction).
 */
export class ProjectionFold {
  record: ProjectionRecord | undefined;
  readonly values = new Map<string, ProjectionValue>();
  /** The subject sequence of the last message folded (0: none). */
  lastSeq = 0;
  /** Messages and bytes folded since the last snapshot or reset. */
  messagesSinceSnapshot = 0;
  bytesSinceSnapshot = 0;
  /** The bytes of the last snapshot (0 when none). */
  snapshotBytes = 0;
  private started = false;
  private pending: { readonly id: string; readonly kind: LogMessage['k']; readonly messages: LogMessage[]; bytes: number } | undefined;
  /** The keys in code point order as of the last sortedKeys(), and the keys added and removed since. */
  private sorted: string[] | undefined;
  private readonly added = new Set<string>();
  private readonly removed = new Set<string>();

  /**
   * Folds the message at subject sequence `seq`. Answers false, folding nothing, when it does not
   * follow the last one folded (a message between was purged): fold again from the subject's
   * first message. The first message of a fold must be the subject's first (prev 0), or the first
   * part of a snapshot or reset (the messages before it were purged).
   */
  apply(seq: number, message: LogMessage, bytes: number): boolean {
    if (this.started ? message.prev !== this.lastSeq : !(message.prev === 0 || (message.part === 0 && message.k !== 'c'))) return false;
    this.started = true;
    this.lastSeq = seq;
    this.messagesSinceSnapshot++;
    this.bytesSinceSnapshot += bytes;
    if (message.part === 0) this.pending = { id: message.id, kind: message.k, messages: [], bytes: 0 };
    const group = this.pending;
    // A part of a group abandoned half-way, or of one whose start this fold did not see.
    if (group === undefined || group.id !== message.id || group.kind !== message.k || group.messages.length !== message.part) {
      this.pending = undefined;
      return true;
    }
    group.messages.push(message);
    group.bytes += bytes;
    if (group.messages.length === message.parts) {
      this.pending = undefined;
      this.complete(group.kind, group.messages, group.bytes);
    }
    return true;
  }

  /**
   * The keys in code point order. Sorted once; after that, the keys a commit added are sorted
   * and merged in, and those it removed left out: a commit costs one pass, not a sort of every key.
   */
  sortedKeys(): readonly string[] {
    if (this.sorted === undefined) {
      this.sorted = [...this.values.keys()].sort(compareNames);
    } else if (this.added.size > 0 || this.removed.size > 0) {
      const kept = this.removed.size === 0 ? this.sorted : this.sorted.filter((key) => !this.removed.has(key));
      this.sorted = this.added.size === 0 ? kept : mergeSorted(kept, [...this.added].sort(compareNames));
    }
    this.added.clear();
    this.removed.clear();
    return this.sorted;
  }

  private complete(kind: LogMessage['k'], messages: readonly LogMessage[], bytes: number): void {
    if (kind !== 'c') {
      this.sorted = undefined;
      this.added.clear();
      this.removed.clear();
      this.values.clear();
      this.record = undefined;
      this.messagesSinceSnapshot = 0;
      this.bytesSinceSnapshot = 0;
      this.snapshotBytes = kind === 's' ? bytes : 0;
    }
    const sorted = this.sorted !== undefined;
    for (const message of messages) {
      for (const [key, value] of message.set ?? []) {
        if (sorted && !this.values.has(key)) {
          if (this.removed.has(key)) this.removed.delete(key);
          else this.added.add(key);
        }
        this.values.set(key, value);
      }
      for (const key of message.del ?? []) {
        if (sorted && this.values.delete(key)) {
          if (this.added.has(key)) this.added.delete(key);
          else this.removed.add(key);
        } else {
          this.values.delete(key);
        }
      }
      if (message.rec !== undefined) this.record = message.rec;
    }
  }
}

/** The keys of two sorted lists (no key in both) in one sorted list. */
function mergeSorted(a: readonly string[], b: readonly string[]): string[] {
  const merged: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) merged.push(compareNames(a[i]!, b[j]!) < 0 ? a[i++]! : b[j++]!);
  while (i < a.length) merged.push(a[i++]!);
  while (j < b.length) merged.push(b[j++]!);
  return merged;
}
