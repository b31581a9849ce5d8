import type { EventFilter, StoredEvent } from '../protocol/frames.js';

/** A predicate for the exact type and key filters of `subscribe` and `read`; undefined when there are none. */
export type EventPredicate = ((event: StoredEvent) => boolean) | undefined;

/** Compiles a filter once so that the per-event check is two set look-ups. */
export function compileFilter(filter: EventFilter | undefined): EventPredicate {
  if (filter === undefined || (filter.types === undefined && filter.keys === undefined)) return undefined;
  const types = filter.types === undefined ? undefined : new Set(filter.types);
  const keys = filter.keys === undefined ? undefined : new Set(filter.keys);
  return (event) =>
    (types === undefined || types.has(event.type)) &&
    (keys === undefined || (event.key !== undefined && keys.has(event.key)));
}
