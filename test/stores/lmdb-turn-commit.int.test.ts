import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TurnCommits } from '../../server-reference/stores/lmdb/turn-commit.js';

describe('TurnCommits: the writes of one event-loop turn in one LMDB transaction', () => {
  let directory: string;
  let root: RootDatabase;
  let db: Database<string, number>;
  let turns: TurnCommits;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'tauon-turn-commit-'));
    root = open(directory, {});
    db = root.openDB<string, number>({ name: 'values' });
    turns = new TurnCommits(root);
  });

  afterEach(async () => {
    await root.close();
    rmSync(directory, { recursive: true, force: true });
  });

  /** A write that puts `value` at `key` and answers the id of the transaction it ran in. */
  const put = (key: number, value: string) => () => {
    db.putSync(key, value);
    return root.getWriteTxnId();
  };

  it('runs the writes asked for in one turn in the order asked, in one transaction, and answers once they are committed', async () => {
    const order: number[] = [];
    const answers = [1, 2, 3].map((key) =>
      turns.run(() => {
        order.push(key);
        return put(key, `v${key}`)();
      }),
    );
    expect(order, 'nothing is written before the turn ends').toEqual([]);
    const txnIds = await Promise.all(answers);
    expect(order).toEqual([1, 2, 3]);
    expect(new Set(txnIds).size, 'one transaction').toBe(1);
    expect([1, 2, 3].map((key) => db.get(key))).toEqual(['v1', 'v2', 'v3']);
  });

  it('commits the writes of a later turn in a later transaction', async () => {
    const first = await turns.run(put(1, 'a'));
    const second = await turns.run(put(2, 'b'));
    expect(second).toBeGreaterThan(first);
  });

  it('rolls back a write that throws, alone: the others of its turn are committed', async () => {
    const before = turns.run(put(1, 'kept'));
    const failing = turns.run(() => {
      db.putSync(2, 'rolled back');
      throw new Error('refused');
    });
    const after = turns.run(put(3, 'kept too'));
    await expect(failing).rejects.toThrow('refused');
    await Promise.all([before, after]);
    expect([db.get(1), db.get(2), db.get(3)]).toEqual(['kept', undefined, 'kept too']);
  });
});
