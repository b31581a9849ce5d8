import { describe, expect, it } from 'vitest';
import { ProjectionFold, draftParts, parseLogMessage, partText, type LogMessage } from '../../server-reference/stores/jetstream/projection-log.js';
import { compareNames } from '../../server-reference/stores/name-order.js';
import { sampleRecord } from '../conformance/store-contract-projections.js';

// The fold of a JetStream projection's messages, without JetStream: which messages count, and
// the keys in code point order kept up to date commit after commit.

const KEYS = ['', 'a', 'b', 'a\u0000', '\ue000', '🚀', 'é', 'z z', 'a.b', '\u0000'];

/** The message of a one-part commit after `prev`. */
function commit(id: string, prev: number, set: [string, unknown][], del: string[] = [], revision = 1): LogMessage {
  return { k: 'c', id, part: 0, parts: 1, prev, set, del, rec: sampleRecord(revision) };
}

describe('JetStream projection log: the fold', () => {
  it('keeps its sorted keys equal to a full sort through commits that add, remove and re-add keys', () => {
    const fold = new ProjectionFold();
    const present = new Set<string>();
    let seq = 0;
    // A fixed pseudo-random walk (bounded): each commit sets and removes a few keys.
    let state = 7;
    const next = () => (state = (state * 1103515245 + 12345) % 2147483648);
    for (let n = 1; n <= 300; n++) {
      const set: [string, unknown][] = [];
      const del: string[] = [];
      const touched = new Set<string>();
      for (let c = 0; c < 4; c++) {
        const key = `${KEYS[next() % KEYS.length]!}${next() % 7}`;
        if (touched.has(key)) continue;
        touched.add(key);
        if (next() % 3 === 0) {
          del.push(key);
          present.delete(key);
        } else {
          set.push([key, n]);
          present.add(key);
        }
      }
      expect(fold.apply(++seq, commit(`c${n}`, seq - 1, set, del, n), 10), `commit ${n} follows`).toBe(true);
      // Sorted now and then: in between, several commits pile up.
      if (n % 3 === 0) expect(fold.sortedKeys(), `after commit ${n}`).toEqual([...present].sort(compareNames));
    }
    expect(fold.record?.revision).toBe(300);
  });

  it('counts a group once its last part is there, skips a group abandoned half-way, and refuses a message that does not follow', () => {
    const fold = new ProjectionFold();
    expect(fold.apply(1, commit('one', 0, [['k', 1]]), 10)).toBe(true);
    const drafts = draftParts(
      [
        { key: 'big 1', text: JSON.stringify('x'.repeat(600)) },
        { key: 'big 2', text: JSON.stringify('y'.repeat(600)) },
      ],
      JSON.stringify(sampleRecord(2)),
      1000,
    );
    expect(drafts.length, 'two values of 600 bytes in parts of 1000').toBe(2);
    const parts = drafts.map((draft, part) => parseLogMessage(new TextEncoder().encode(partText('c', 'two', part, drafts.length, 1 + part, draft))));
    // The first part of a group whose second never came, then a commit after it.
    expect(fold.apply(2, parts[0]!, 10)).toBe(true);
    expect(fold.values.has('big 1'), 'a part alone counts for nothing').toBe(false);
    expect(fold.apply(3, commit('three', 2, [['k', 3]], [], 3), 10)).toBe(true);
    expect([...fold.values], 'the half group is skipped').toEqual([['k', 3]]);
    expect(fold.apply(5, commit('five', 4, [['k', 5]], [], 5), 10), 'a message whose prev is not the last one folded').toBe(false);
    expect(fold.record?.revision, 'and nothing of it is folded').toBe(3);
    // A whole group of two parts, chained after 3.
    const whole = drafts.map((draft, part) => parseLogMessage(new TextEncoder().encode(partText('c', 'whole', part, drafts.length, 3 + part, draft))));
    expect(fold.apply(4, whole[0]!, 10)).toBe(true);
    expect(fold.apply(5, whole[1]!, 10)).toBe(true);
    expect(fold.sortedKeys(), 'both parts count').toEqual(['big 1', 'big 2', 'k']);
    expect(fold.record, "the record of the group's last part").toEqual(sampleRecord(2));
  });

  it('starts only at the subject\'s first message, a snapshot or a reset', () => {
    expect(new ProjectionFold().apply(9, commit('late', 8, [['k', 1]]), 10), 'a commit after purged messages cannot start a fold').toBe(false);
    const snapshot: LogMessage = { k: 's', id: 's', part: 0, parts: 1, prev: 8, set: [['k', 1]], del: [], rec: sampleRecord(4) };
    const fold = new ProjectionFold();
    expect(fold.apply(9, snapshot, 10), 'a snapshot can').toBe(true);
    expect(fold.record).toEqual(sampleRecord(4));
    const reset: LogMessage = { k: 'r', id: 'r', part: 0, parts: 1, prev: 3, set: [], del: [] };
    const afterReset = new ProjectionFold();
    expect(afterReset.apply(4, reset, 10), 'a reset can').toBe(true);
    expect(afterReset.record, 'and leaves no record').toBeUndefined();
  });
});
