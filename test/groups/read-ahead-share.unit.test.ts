import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SERVED_GROUPS } from '../../server-reference/groups/groups-engine.js';
import { GROUP_READ_AHEAD_BYTES, partitionReadAhead, SERVER_READ_AHEAD_BYTES } from '../../server-reference/groups/read-ahead-share.js';

describe('the read-ahead groups share on one server', () => {
  it('bounds a group by GROUP_READ_AHEAD_BYTES and all groups together by SERVER_READ_AHEAD_BYTES, plus one event a partition', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_SERVED_GROUPS }), fc.integer({ min: 1, max: 1024 }), (groups, partitions) => {
        const share = partitionReadAhead(groups, partitions);
        expect(share).toBeGreaterThanOrEqual(1);
        expect(share * partitions).toBeLessThanOrEqual(Math.max(partitions, GROUP_READ_AHEAD_BYTES));
        expect(share * partitions * groups).toBeLessThanOrEqual(Math.max(partitions * groups, SERVER_READ_AHEAD_BYTES));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps a whole group budget while few groups are served, and shrinks it as more are', () => {
    expect(partitionReadAhead(1, 16)).toBe(GROUP_READ_AHEAD_BYTES / 16);
    expect(partitionReadAhead(16, 16)).toBe(GROUP_READ_AHEAD_BYTES / 16);
    expect(partitionReadAhead(MAX_SERVED_GROUPS, 16)).toBe(Math.floor(Math.floor(SERVER_READ_AHEAD_BYTES / MAX_SERVED_GROUPS) / 16));
  });
});
