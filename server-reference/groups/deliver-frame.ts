import { msgpackArrayHeader } from '../../protocol/events-frame.js';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';
import type { EncodedDelivery } from './local-member.js';

/**
 * The msgpack bytes of `{ type: 'deliver', sub, part, gen, deliveries, events }` (SPEC 17.8) with
 * the events spliced in as they were read from the store: the frame's head is encoded with an
 * empty `events` list last, whose one byte (0x90) gives way to the list's header and the events.
 */
export function msgpackDeliverFrame(sub: number, part: number, gen: number, events: readonly EncodedDelivery[]): Uint8Array {
  const deliveries = events.map((event) => event.deliveries);
  const head = msgpackCodec.encode({ type: 'deliver', sub, part, gen, deliveries, events: [] });
  const list = msgpackArrayHeader(events.length);
  let size = head.length - 1 + list.length;
  for (const event of events) size += event.end - event.start;
  const frame = new Uint8Array(size);
  frame.set(head.subarray(0, head.length - 1), 0);
  let at = head.length - 1;
  frame.set(list, at);
  at += list.length;
  // Runs of events that lie one after the other in one chunk are copied at once.
  for (let i = 0; i < events.length; ) {
    const { chunk, start } = events[i]!;
    if (chunk === undefined) throw new Error('a deliver frame was asked for an event not read');
    let end = events[i]!.end;
    i += 1;
    while (i < events.length && events[i]!.chunk === chunk && events[i]!.start === end) end = events[i++]!.end;
    frame.set(chunk.subarray(start, end), at);
    at += end - start;
  }
  return frame;
}
