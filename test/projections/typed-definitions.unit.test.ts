import { describe, expect, it } from 'vitest';
import { MemoryStore, TauonServer, type ProjectionDefinition } from 'tauon/server';

// Definitions of states of their own types go into `projections` as they are (docs/projections.md
// shows this): `tsc` checks this file with the rest of the tests.
const orderTotals: ProjectionDefinition<{ orders: number; total: number }> = {
  name: 'order-totals',
  stream: 'orders.*',
  initial: { orders: 0, total: 0 },
  evolve: (state, event) => ({ orders: state.orders + 1, total: state.total + (event.data as { total: number }).total }),
};
const counted: ProjectionDefinition<number> = { name: 'counted', stream: '$all', initial: 0, evolve: (count) => count + 1 };

describe('projection definitions typed by their state', () => {
  it('are taken by TauonServer together', async () => {
    const store = new MemoryStore();
    const server = new TauonServer({ store, projections: [orderTotals, counted] });
    try {
      expect((await server.projections!.list()).map((summary) => summary.name)).toEqual(['counted', 'order-totals']);
    } finally {
      await server.close();
      await store.close();
    }
  });
});
