import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { quickstart } from '../../examples/quickstart.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { startServer, type RunningServer } from '../support/harness.js';
import { tempDir } from '../support/temp-dir.js';

describe('examples/quickstart.ts (the README program)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: LmdbStore;
  let running: RunningServer;
  beforeEach(async () => {
    dir = await tempDir('quickstart');
    store = await LmdbStore.open(dir.path);
    running = await startServer('ws', { store });
  });
  afterEach(async () => {
    await running.close();
    await store.close();
    await dir.remove();
  });

  it('emits, replays and follows a stream against a real server', async () => {
    const lines: string[] = [];
    await quickstart(running.transport.description, (line) => lines.push(line));
    expect(lines).toEqual([
      'stored at seq 1, position 1',
      'replayed OrderPlaced, OrderPaid, OrderShipped',
      'followed 3:OrderShipped, 4:OrderDelivered',
    ]);
  });
});
