import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { describeEventStore } from '../conformance/index.js';
import { LmdbStore } from '../../server-reference/stores/lmdb-store.js';

const directories: string[] = [];

describeEventStore(
  'lmdb',
  () => {
    const directory = mkdtempSync(join(tmpdir(), 'tauon-lmdb-contract-'));
    directories.push(directory);
    return LmdbStore.open(directory);
  },
  { densePositions: true },
);

afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});
