import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../protocol/frames.js';
import { storedEvent } from '../../server-reference/stores/append-planner.js';
import {
  MessageDraft,
  POSITIONS_PER_MESSAGE,
  decodeMessage,
  messageOfPosition,
  millisOfNanos,
  millisOfTimestamp,
  positionOf,
  readHeader,
} from '../../server-reference/stores/jetstream/message.js';

/** Events as the planner hands them to the writer (pos is the offset in the message, recorded a placeholder). */
function planned(stream: string, firstSeq: number, tx: number, offset: number, count: number): StoredEvent[] {
  return Array.from({ length: count }, (_, i) =>
    storedEvent(
      { id: `${stream}-${tx}-${i}`, type: 'T', key: i % 2 === 0 ? `k${i}` : undefined, data: { i, nested: [1, { a: null }] }, meta: { m: 'x' } },
      stream,
      firstSeq + i,
      offset + i,
      tx,
      0,
    ),
  );
}

describe('jetstream message bodies', () => {
  it('carry several transactions of one stream and decode to the stored events', () => {
    const first = planned('orders', 5, 3, 0, 2);
    const second = planned('orders', 7, 4, 2, 3);
    const draft = new MessageDraft('orders', 41);
    draft.add(first, MessageDraft.encodeEvents(first));
    draft.add(second, MessageDraft.encodeEvents(second));
    expect(draft.size).toBe(5);
    expect(draft.msgId, 'the first event id, as a token').toBe('orders-3-0');
    const body = draft.toBytes();

    const header = readHeader(body, 99);
    expect(header).toMatchObject({ stream: 'orders', prev: 41, firstSeq: 5, firstTx: 3, counts: [2, 3], total: 5, lastSeq: 9, lastTx: 4 });

    const message = decodeMessage(body, 99, 1_700_000_000_123);
    const expected = [...first, ...second].map((event, i) => ({ ...event, pos: positionOf(99, i), recorded: 1_700_000_000_123 }));
    expect(message.events).toEqual(expected);
    expect(Object.keys(message.events[1]!), 'absent fields stay absent').not.toContain('key');
  });

  it('positions increase with the JetStream sequence and the index in the message', () => {
    expect(positionOf(1, 0)).toBe(POSITIONS_PER_MESSAGE);
    expect(positionOf(2, 0)).toBeGreaterThan(positionOf(1, POSITIONS_PER_MESSAGE - 1));
    expect(messageOfPosition(positionOf(12345, 678))).toBe(12345);
    expect(Number.isSafeInteger(positionOf(2 ** 36, POSITIONS_PER_MESSAGE - 1)), 'room for 2^36 messages').toBe(true);
  });

  it('a message this store did not write is refused with an internal error', () => {
    expect(() => readHeader(new TextEncoder().encode('hello'), 3)).toThrow(expect.objectContaining({ code: 'internal' }));
    expect(() => decodeMessage(new Uint8Array([0x93, 1, 2, 3]), 3, 0)).toThrow(expect.objectContaining({ code: 'internal' }));
  });

  it('the two forms of a JetStream timestamp give the same recorded time', () => {
    expect(millisOfTimestamp('2026-11-22T06:51:54.677770477Z')).toBe(millisOfNanos(1_795_330_314_677_770_477n));
    expect(millisOfTimestamp('2026-11-22T06:51:54.677999999Z')).toBe(Date.parse('2026-11-22T06:51:54.677Z'));
    expect(millisOfTimestamp('2026-11-22T06:51:54Z')).toBe(Date.parse('2026-11-22T06:51:54Z'));
    expect(millisOfTimestamp('2026-11-22T06:51:54.5Z')).toBe(Date.parse('2026-11-22T06:51:54.500Z'));
  });
});

describe('jetstream message drafts', () => {
  it('bound the size of the body they will make, header included, before a transaction is added', () => {
    for (const [stream, transactions] of [['s', 1], ['orders.eu.42', 300], ['é'.repeat(256), 20_000]] as const) {
      const draft = new MessageDraft(stream, 123_456_789);
      let seq = 1;
      for (let tx = 1; tx <= transactions; tx++) {
        const events = planned(stream, seq, 1_000_000 + tx, seq - 1, 1);
        const encoded = MessageDraft.encodeEvents(events);
        const bound = draft.sizeWith(encoded[0]!.length);
        draft.add(events, encoded);
        seq++;
        if (tx === transactions || tx % 997 === 0) {
          expect(draft.toBytes().length, `${transactions} transactions to ${stream.slice(0, 12)}`).toBeLessThanOrEqual(bound);
        }
      }
    }
  });
});
