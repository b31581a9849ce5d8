import { TauonError } from '../protocol/errors.js';
import type { StartPosition } from '../protocol/frames.js';
import type { EventStore } from './stores/event-store.js';
import { headOf, positionIn, selects, type Selector } from './selector.js';

/**
 * Resolves a forward start position to the last position already behind the reader (the
 * exclusive cursor): the reader continues with the first event after it.
 */
export async function resolveForwardCursor(
  store: EventStore,
  selector: Selector,
  from: StartPosition,
): Promise<number> {
  if (from === 'start') return 0;
  if (from === 'end') return headOf(store, selector);
  if ('after' in from) return from.after;
  if ('at' in from) return from.at - 1;
  if ('event' in from) return positionIn(selector, await findSelectedEvent(store, selector, from.event));
  if ('time' in from) {
    const event = await findByTime(store, selector, from.time);
    return event === undefined ? headOf(store, selector) : positionIn(selector, event) - 1;
  }
  throw new TauonError('bad-frame', '"before" is only for backward reads');
}

/**
 * Resolves a backward start position to the first position to return (inclusive), or 0 when
 * there is nothing before it.
 */
export async function resolveBackwardStart(
  store: EventStore,
  selector: Selector,
  from: StartPosition,
): Promise<number> {
  if (from === 'end') return headOf(store, selector);
  if (from === 'start') return 0;
  if ('before' in from) return from.before - 1;
  if ('at' in from) return from.at;
  if ('event' in from) return positionIn(selector, await findSelectedEvent(store, selector, from.event)) - 1;
  if ('time' in from) {
    const event = await findByTime(store, selector, from.time);
    return event === undefined ? headOf(store, selector) : positionIn(selector, event) - 1;
  }
  throw new TauonError('bad-frame', 'a backward read starts at "end", "before", "at", "event" or "time", not "after"');
}

async function findSelectedEvent(store: EventStore, selector: Selector, id: string) {
  const event = await store.findEvent(id);
  if (event === undefined || !selects(selector, event)) {
    throw new TauonError('not-found', `no event with id "${id}" in the selected stream`);
  }
  return event;
}

function findByTime(store: EventStore, selector: Selector, time: number) {
  return selector.kind === 'stream'
    ? store.findByTime(time, selector.stream)
    : store.findByTime(time, undefined, selector.prefix === '' ? undefined : selector.prefix);
}
