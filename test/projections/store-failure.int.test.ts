import { afterEach, describe, expect, it } from 'vitest';
import type { ProjectionDefinition } from '../../server-reference/projections/projection-definition.js';
import type { ProjectionStore } from '../../server-reference/projections/projection-store.js';
import type { InternalErrorRecord } from '../../server-reference/internal-errors.js';
import { TauonServer } from '../../server-reference/server.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';

let server: TauonServer | undefined;
let store: MemoryStore | undefined;
afterEach(async () => {
  await server?.close();
  await store?.close();
});

/** The memory store, whose projections' commits fail `failures` times first (a database that is away). */
function failingCommits(memory: MemoryStore, failures: number): EventStore {
  let left = failures;
  const projections = new Proxy(memory.projections, {
    get(target, property) {
      if (property === 'commit') {
        return (...args: Parameters<ProjectionStore['commit']>) => {
          if (left > 0) {
            left -= 1;
            return Promise.reject(new Error('the database is away'));
          }
          return target.commit(...args);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return new Proxy(memory, {
    get: (target, property) => (property === 'projections' ? projections : (Reflect.get(target, property, target) as unknown)),
  });
}

describe('a projection whose store fails', () => {
  it('is not failed by it: the failure is logged, and the projection goes on from its last commit', async () => {
    store = new MemoryStore();
    const logged: InternalErrorRecord[] = [];
    const count: ProjectionDefinition<number> = { name: 'count', stream: 'orders.*', initial: 0, evolve: (n) => n + 1 };
    server = new TauonServer({ store: failingCommits(store, 2), projections: [count], errorLog: (record) => logged.push(record) });
    const answer = await server.request({ type: 'append', id: 0, stream: 'orders.1', events: [{ type: 'a' }, { type: 'b' }, { type: 'c' }] });
    const last = answer.type === 'appended' ? answer.positions.at(-1)! : 0;
    const read = await server.projections!.get('count', '', { atLeast: last, timeoutMs: 20_000 });
    expect(read.value, 'each event applied once after the retries').toBe(3);
    expect((await server.projections!.summary('count')).status).toBe('running');
    expect(logged.length, 'each failure of the store logged').toBeGreaterThanOrEqual(2);
    expect(logged[0]!.context).toContain('projection "count"');
  });
});
