import { afterEach, describe, expect, it } from 'vitest';
import type { ProjectionDefinition } from '../../server-reference/projections/projection-definition.js';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';

/** Events the costly projection has to catch up on, and how long each of its evolves spins, in ms. */
const BACKLOG = 400;
const SPIN_MS = 2;
/** Appends made while it catches up. */
const APPENDS = 20;

let server: TauonServer | undefined;
let store: MemoryStore | undefined;
afterEach(async () => {
  await server?.close();
  await store?.close();
});

describe('a costly projection', () => {
  it('does not hold up appends: they complete, in order, while it is still catching up', async () => {
    const costly: ProjectionDefinition<number> = {
      name: 'costly',
      stream: 'load',
      initial: 0,
      evolve: (n) => {
        const until = performance.now() + SPIN_MS;
        while (performance.now() < until) {
          // Deliberately costly: about SPIN_MS of CPU an event.
        }
        return n + 1;
      },
    };
    store = new MemoryStore();
    // The backlog is stored before the server starts its projection.
    await store.append([{ stream: 'load', events: Array.from({ length: BACKLOG }, (_, i) => ({ id: `l${i}`, type: 'load' })), expected: 'any', dedupe: false }]);
    server = new TauonServer({ store, projections: [costly] });
    const checkpoints: number[] = [];
    const seqs: number[] = [];
    for (let i = 0; i < APPENDS; i += 1) {
      const answer = await server.request({ type: 'append', id: i, stream: 'other', events: [{ type: 'quick' }] });
      expect(answer.type).toBe('appended');
      if (answer.type === 'appended') seqs.push(answer.seqs[0]!);
      checkpoints.push((await server.projections!.summary('costly')).checkpoint);
    }
    expect(seqs, 'every append acknowledged, in order').toEqual(Array.from({ length: APPENDS }, (_, i) => i + 1));
    expect(checkpoints.at(-1), 'the projection was still catching up when the last append was acknowledged').toBeLessThan(BACKLOG);
    expect(checkpoints, 'its checkpoint only goes forward').toEqual([...checkpoints].sort((a, b) => a - b));
    const done = await server.projections!.get('costly', '', { atLeast: BACKLOG, timeoutMs: 30_000 });
    expect(done.value, 'and it caught up with every event once').toBe(BACKLOG);
  }, 60_000);
});
