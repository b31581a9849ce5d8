import { describe, expect, it } from 'vitest';
import { Fifo } from '../../client/fifo.js';

describe('Fifo', () => {
  it('returns items in the order pushed, across compactions', () => {
    const fifo = new Fifo<number>();
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round += 1) {
      for (let i = 0; i < 100; i += 1) fifo.push(next++);
      for (let i = 0; i < 70; i += 1) out.push(fifo.shift() as number);
    }
    expect(fifo.length).toBe(50 * 30);
    expect(fifo.peek()).toBe(out.length);
    while (fifo.length > 0) out.push(fifo.shift() as number);
    expect(out).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(fifo.shift()).toBeUndefined();
    expect(fifo.peek()).toBeUndefined();
  });

  it('lists and clears its items', () => {
    const fifo = new Fifo<string>();
    fifo.push('a');
    fifo.push('b');
    fifo.push('c');
    fifo.shift();
    expect(fifo.toArray()).toEqual(['b', 'c']);
    fifo.clear();
    expect(fifo.length).toBe(0);
    expect(fifo.toArray()).toEqual([]);
  });
});
