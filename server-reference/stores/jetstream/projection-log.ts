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
  const parts: PartDraft[] = [];
  let set: [string, string][] = [];
  let del: string[] = [];
  let size = PART_OVERHEAD;
  const close = (): void => {
    parts.push({ set, del, record: undefined });
    set = [];
    del = [];
    size = PART_OVERHEAD;
  };
  for (const { key, text } of changes) {
    const keyJson = JSON.stringify(key);
    const bytes = Buffer.byteLength(keyJson, 'utf8') + (text === undefined ? 1 : Buffer.byteLength(text, 'utf8') + 4);
    if (size + bytes > maxBytes && size > PART_OVERHEAD) close();
    if (text === undefined) del.push(keyJson);
    else set.push([keyJson, text]);
    size += bytes;
  }
  const recordBytes = record === undefined ? 0 : Buffer.byteLength(record, 'utf8') + 8;
  if (size + recordBytes > maxBytes && size > PART_OVERHEAD) close();
  parts.push({ set, del, record });
  return parts;
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
  private sorted: string[] | undefined;

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

  /** The keys in code point order (kept until the values change). */
  sortedKeys(): readonly string[] {
    this.sorted ??= [...this.values.keys()].sort(compareNames);
    return this.sorted;
  }

  private complete(kind: LogMessage['k'], messages: readonly LogMessage[], bytes: number): void {
    this.sorted = undefined;
    if (kind !== 'c') {
      this.values.clear();
      this.record = undefined;
      this.messagesSinceSnapshot = 0;
      this.bytesSinceSnapshot = 0;
      this.snapshotBytes = kind === 's' ? bytes : 0;
    }
    for (const message of messages) {
      for (const [key, value] of message.set ?? []) this.values.set(key, value);
      for (const key of message.del ?? []) this.values.delete(key);
      if (message.rec !== undefined) this.record = message.rec;
    }
  }
}
