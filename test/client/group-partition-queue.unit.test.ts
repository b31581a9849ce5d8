import { describe, expect, it } from 'vitest';
import { PartitionQueue } from '../../client/partition-queue.js';
import type { StoredEvent } from '../../client/index.js';

function event(seq: number): StoredEvent {
  return { id: `e${seq}`, type: 't', stream: 's', seq, pos: seq, tx: seq, recorded: 1000 };
}

describe('PartitionQueue (a partition\'s events waiting to be handed out)', () => {
  it('hands events out lowest position first, whatever order they came in', () => {
    const queue = new PartitionQueue();
    for (const position of [4, 5, 9, 2, 7, 1]) expect(queue.offer(event(position), position, 1)).toBe(true);
    expect(queue.length).toBe(6);
    const out: number[] = [];
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) out.push(item.position);
    expect(out).toEqual([1, 2, 4, 5, 7, 9]);
    expect(queue.length).toBe(0);
    expect(queue.peek()).toBeUndefined();
  });

  it('keeps each position once; a redelivery raises the queued one\'s delivery count', () => {
    const queue = new PartitionQueue();
    queue.offer(event(3), 3, 1);
    queue.offer(event(4), 4, 1);
    expect(queue.offer(event(3), 3, 2)).toBe(false);
    expect(queue.offer(event(4), 4, 1)).toBe(false);
    expect(queue.length).toBe(2);
    expect(queue.peek()).toMatchObject({ position: 3, deliveries: 2 });
    expect(queue.has(4)).toBe(true);
    expect(queue.has(5)).toBe(false);
  });

  it('puts a redelivery below what is queued at its place, after some were handed out', () => {
    const queue = new PartitionQueue();
    for (const position of [10, 11, 12]) queue.offer(event(position), position, 1);
    expect(queue.shift()?.position).toBe(10);
    queue.offer(event(10), 10, 2);
    expect(queue.positions()).toEqual([10, 11, 12]);
    expect(queue.peek()?.deliveries).toBe(2);
  });

  it('removes one position, and clears with the count it dropped', () => {
    const queue = new PartitionQueue();
    for (const position of [1, 2, 3]) queue.offer(event(position), position, 1);
    expect(queue.remove(2)).toBe(true);
    expect(queue.remove(2)).toBe(false);
    expect(queue.positions()).toEqual([1, 3]);
    expect(queue.clear()).toBe(2);
    expect(queue.length).toBe(0);
  });

  it('stays ordered through many shifts and inserts (the compaction keeps its place)', () => {
    const queue = new PartitionQueue();
    let next = 1;
    const handed: number[] = [];
    for (let round = 0; round < 3000; round += 1) {
      queue.offer(event(next), next, 1);
      next += 1;
      if (round % 3 !== 0) handed.push((queue.shift() as { position: number }).position);
    }
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) handed.push(item.position);
    expect(handed).toEqual(Array.from({ length: 3000 }, (_, index) => index + 1));
  });
});
