import { describe, expect, it } from 'vitest';
import { PartitionAcks } from '../../client/partition-acks.js';

function delivered(...positions: number[]): PartitionAcks {
  const acks = new PartitionAcks();
  for (const position of positions) acks.received(position);
  return acks;
}

describe('PartitionAcks (batching a partition\'s acknowledgements into ack frames)', () => {
  it('lists the acknowledged positions, ascending, unless asked for cumulative frames', () => {
    const acks = delivered(1, 2, 3, 4);
    for (const position of [3, 1, 2]) acks.ack(position);
    expect(acks.take()).toEqual([{ pos: [1, 2, 3] }]);
    expect(acks.take()).toEqual([]);
  });

  it('says nothing when nothing was acknowledged', () => {
    expect(delivered(1, 2).take({ cumulative: true })).toEqual([]);
  });

  it('acknowledges a prefix of what was delivered with upTo', () => {
    const acks = delivered(1, 2, 3, 4);
    for (const position of [2, 1, 3]) expect(acks.ack(position)).toBe(true);
    expect(acks.take({ cumulative: true })).toEqual([{ upTo: 3 }]);
    expect(acks.unackedCount).toBe(1);
    expect(acks.take({ cumulative: true })).toEqual([]);
  });

  it('lists what lies above an unacknowledged event in pos, so upTo never covers it', () => {
    const acks = delivered(10, 11, 12, 13, 14);
    for (const position of [10, 12, 14]) acks.ack(position);
    expect(acks.take({ cumulative: true })).toEqual([{ upTo: 10, pos: [12, 14] }]);
    acks.ack(11);
    expect(acks.take({ cumulative: true })).toEqual([{ upTo: 11 }]);
    acks.ack(13);
    expect(acks.take({ cumulative: true })).toEqual([{ upTo: 13 }]);
  });

  it('uses pos alone when the lowest delivered event is not acknowledged', () => {
    const acks = delivered(5, 6, 7);
    acks.ack(7);
    acks.ack(6);
    expect(acks.take({ cumulative: true })).toEqual([{ pos: [6, 7] }]);
  });

  it('ignores an acknowledgement of a position not delivered or acknowledged already', () => {
    const acks = delivered(1, 2);
    expect(acks.ack(1)).toBe(true);
    expect(acks.ack(1)).toBe(false);
    expect(acks.ack(9)).toBe(false);
    expect(acks.take({ cumulative: true })).toEqual([{ upTo: 1 }]);
  });

  it('keeps a redelivered event unacknowledged once, and a nacked one (never acked) blocks upTo', () => {
    const acks = delivered(1, 2, 3);
    acks.received(2); // a redelivery
    expect(acks.unackedCount).toBe(3);
    acks.ack(1);
    acks.ack(3); // 2 was nacked and waits for its retry
    expect(acks.take({ cumulative: true })).toEqual([{ upTo: 1, pos: [3] }]);
    expect(acks.isUnacked(2)).toBe(true);
  });

  it('splits positions over frames of at most the given size, upTo in the first', () => {
    const acks = delivered(...Array.from({ length: 12 }, (_, index) => index + 1));
    for (const position of [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12]) acks.ack(position);
    expect(acks.take({ cumulative: true, maxPositions: 4 })).toEqual([{ upTo: 2, pos: [4, 5, 6, 7] }, { pos: [8, 9, 10, 11] }, { pos: [12] }]);
  });
});
