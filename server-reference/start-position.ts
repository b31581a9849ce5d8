import { TauonError } from '../protocol/errors.js';
import type { StartPosition, SubscribeFrame } from '../protocol/frames.js';
import type { EventStore } from './stores/event-store.js';
import { headOf, positionIn, selects, type Selector } from './selector.js';

/**
 * What is wrong with a `subscribe` frame's start on its own (SPEC 6.4.3, 5.7): a `hot`
 * subscription with a `from` other than `"end"`, or a `before` start, which only a backward read
 * takes. Checked with the schema, before permissions and everything else (6.4.3's order).
 */
export function subscribeStartProblem(frame: SubscribeFrame): TauonError | undefined {
  const from = frame.from;
  if (from !== undefined && typeof from === 'object' && 'before' in from) {
    return new TauonError('bad-frame', '"before" is only for backward reads: a subscription starts forward');
  }
  if (frame.mode === 'hot' && from !== undefined && from !== 'end') {
    return new TauonError('bad-frame', 'a hot subscription starts at the head: "from" must be absent or "end"');
  }
  return undefined;
}

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
