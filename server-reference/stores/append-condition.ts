import { AppendConditionFailedError, TauonError } from '../../protocol/errors.js';
import type { AppendCondition } from '../../protocol/frames.js';

/*
 * An append's condition (SPEC 5.8.1), as the stores that check it share it: what an event of a
 * condition's type must be to match, and the bounded walk over an index of events by type that
 * finds the first match. A condition names at most MAX_CONDITION_TYPES types, and each type's
 * walk examines at most CONDITION_SCAN_LIMIT index entries, so a check costs at most a few
 * thousand index reads however old its position is; a condition it cannot decide within them
 * is refused with `limit` rather than walked on under the append's lock.
 */

/** The most events of one type stored after a condition's position that a check examines. */
export const CONDITION_SCAN_LIMIT = 1000;

/** One entry of an index of events by type, in position order within its type. */
export interface TypedEntry {
  readonly pos: number;
  readonly stream: string;
  readonly key?: string | undefined;
}

/** The outcome of a check: no match, the first matching position found, or undecided within the bound. */
export type ConditionVerdict = { readonly kind: 'holds' } | { readonly kind: 'matched'; readonly pos: number } | { readonly kind: 'too-costly'; readonly type: string };

/** True when an event of one of the condition's types, stored in `stream` with `key`, matches it. */
export type ConditionScope = (stream: string, key: string | undefined) => boolean;

/** The selector and keys of a condition as one test (the types are the index's to select). */
export function conditionScope(condition: AppendCondition): ConditionScope {
  const keys = condition.keys === undefined ? undefined : new Set(condition.keys);
  const selector = condition.stream;
  const inSelector: (stream: string) => boolean =
    selector === '$all' || selector === '*'
      ? () => true
      : selector.endsWith('*')
        ? (stream) => stream.startsWith(selector.slice(0, -1))
        : (stream) => stream === selector;
  return (stream, key) => inSelector(stream) && (keys === undefined || (key !== undefined && keys.has(key)));
}

/**
 * Checks a condition against a store's index: `entriesOf(type)` yields the index entries of one
 * type stored after the condition's position, in position order (lazily: the walk stops early).
 * Each type is walked until its first match, until a position no earlier than a match already
 * found, or over CONDITION_SCAN_LIMIT entries (undecided). A match anywhere wins over an
 * undecided type: the condition fails either way, and `pos` is the first match found.
 */
export function checkCondition(condition: AppendCondition, entriesOf: (type: string) => Iterable<TypedEntry>): ConditionVerdict {
  const scope = conditionScope(condition);
  let first: number | undefined;
  let undecided: string | undefined;
  for (const type of new Set(condition.types)) {
    let examined = 0;
    for (const entry of entriesOf(type)) {
      if (entry.pos <= condition.after) continue;
      if (first !== undefined && entry.pos >= first) break;
      if (++examined > CONDITION_SCAN_LIMIT) {
        undecided ??= type;
        break;
      }
      if (scope(entry.stream, entry.key)) {
        first = entry.pos;
        break;
      }
    }
  }
  if (first !== undefined) return { kind: 'matched', pos: first };
  return undecided === undefined ? { kind: 'holds' } : { kind: 'too-costly', type: undecided };
}

/** The error a request fails with when its condition does not hold, or undefined when it does. */
export function conditionRefusal(stream: string, condition: AppendCondition, verdict: ConditionVerdict): TauonError | undefined {
  switch (verdict.kind) {
    case 'holds':
      return undefined;
    case 'matched':
      return new AppendConditionFailedError(stream, verdict.pos);
    case 'too-costly':
      return new TauonError(
        'limit',
        `the append's condition cannot be checked: more than ${CONDITION_SCAN_LIMIT} events of type "${verdict.type}" were stored after position ${condition.after} and none of the first ${CONDITION_SCAN_LIMIT} matches; read again and condition on a later position`,
      );
  }
}

/** The lesser of two verdicts' answers: a match at the lower position wins, then a match, then undecided. */
export function earlierVerdict(a: ConditionVerdict, b: ConditionVerdict): ConditionVerdict {
  if (a.kind === 'matched' && b.kind === 'matched') return a.pos <= b.pos ? a : b;
  if (a.kind === 'matched') return a;
  if (b.kind === 'matched') return b;
  return a.kind === 'too-costly' ? a : b;
}

/** The first index of `entries` (in position order) whose position is after `after`, by binary search. */
export function firstAfter(entries: readonly TypedEntry[], after: number): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (entries[middle]!.pos <= after) low = middle + 1;
    else high = middle;
  }
  return low;
}
