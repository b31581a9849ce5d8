import type { StoredEvent } from '../protocol/frames.js';
import type { Direction, EventStore } from './stores/event-store.js';

/**
 * What a subscription or read addresses, resolved: one stream (positions are seqs), or every
 * stream whose name starts with a prefix (positions are store-wide `pos`; `$all` and `*` are the
 * empty prefix).
 */
export type Selector =
  | { readonly kind: 'stream'; readonly stream: string }
  | { readonly kind: 'prefix'; readonly prefix: string };

/** Parses a selector as the schema has already checked it: a name, `prefix*`, `*` or `$all`. */
export function parseSelector(text: string): Selector {
  if (text === '$all') return { kind: 'prefix', prefix: '' };
  if (text.endsWith('*')) return { kind: 'prefix', prefix: text.slice(0, -1) };
  return { kind: 'stream', stream: text };
}

/** The position of an event in the selector's numbering: seq for a stream, pos otherwise. */
export function positionIn(selector: Selector, event: StoredEvent): number {
  return selector.kind === 'stream' ? event.seq : event.pos;
}

/** True when the event belongs to what the selector addresses. */
export function selects(selector: Selector, event: StoredEvent): boolean {
  return selector.kind === 'stream' ? event.stream === selector.stream : event.stream.startsWith(selector.prefix);
}

/** Reads events of the selector from an inclusive position. */
export function readSelected(
  store: EventStore,
  selector: Selector,
  from: number,
  direction: Direction,
  limit: number,
): Promise<StoredEvent[]> {
  return selector.kind === 'stream'
    ? store.readStream(selector.stream, from, direction, limit)
    : store.readAll(from, direction, limit, selector.prefix === '' ? undefined : selector.prefix);
}

/** The selector's head: the stream's last seq, or the store's newest position (0 when empty). */
export async function headOf(store: EventStore, selector: Selector): Promise<number> {
  if (selector.kind === 'stream') return (await store.streamInfo(selector.stream))?.head ?? 0;
  return store.headPosition(selector.prefix);
}
