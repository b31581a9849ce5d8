import { describe, expect, it } from 'vitest';
import { groupInfoLines, groupListLines } from '../../cli/groups-command.js';
import { partRanges, textTable } from '../../cli/text-table.js';
import type { GroupInfo } from '../../protocol/frames.js';

describe('the tables of tauon groups', () => {
  it('pads each column to its widest cell, two spaces apart, and ends no line in spaces', () => {
    expect(textTable(['A', 'LONG', 'C'], [['wide cell', '1', 'x'], ['b', '22', 'last wide']])).toEqual([
      'A          LONG  C',
      'wide cell  1     x',
      'b          22    last wide',
    ]);
  });

  it('writes partition numbers as ranges', () => {
    expect(partRanges([])).toBe('-');
    expect(partRanges([3])).toBe('3');
    expect(partRanges([8, 0, 1, 2, 5, 7])).toBe('0-2,5,7-8');
  });

  it('lists groups with their selector and filter, or says there are none', () => {
    expect(groupListLines([])).toEqual(['no consumer groups']);
    expect(
      groupListLines([
        { group: 'billing', stream: 'orders.*', filter: { types: ['Placed', 'Paid'] }, partitions: 16, members: 2, lag: 12, parked: 0 },
        { group: 'audit', stream: '$all', partitions: 1, members: 0, lag: 0, parked: 3 },
      ]),
    ).toEqual([
      'GROUP    SELECTOR                    PARTITIONS  MEMBERS  LAG  PARKED',
      'billing  orders.* types=Placed,Paid  16          2        12   0',
      'audit    $all                        1           0        0    3',
    ]);
  });

  it('describes one group: in brief, its members, then each partition with its owner', () => {
    const info: GroupInfo = {
      group: 'billing',
      stream: 'orders.*',
      partitions: 3,
      members: 1,
      lag: 5,
      parked: 1,
      created: Date.UTC(2026, 11, 7, 17, 0),
      head: 40,
      memberList: [{ member: 'm-1', expires: Date.UTC(2026, 11, 7, 18, 0, 10), parts: [0, 1] }],
      partitionList: [
        { part: 0, owner: 'm-1', gen: 3, checkpoint: 40, head: 40, lag: 0, parked: 1 },
        { part: 1, owner: 'm-1', gen: 4, revoking: true, checkpoint: 35, head: 40, lag: 5, parked: 0 },
        { part: 2, owner: null, gen: 2, checkpoint: 40, head: 40, lag: 0, parked: 0 },
      ],
    };
    expect(groupInfoLines(info)).toEqual([
      'group       billing',
      'selector    orders.*',
      'created     2026-12-07T17:00:00.000Z',
      'partitions  3, members 1, head 40, lag 5, parked 1',
      '',
      'MEMBER  PARTITIONS  LEASE ENDS',
      'm-1     0-1         2026-12-07T18:00:10.000Z',
      '',
      'PART  OWNER           GEN  CHECKPOINT  HEAD  LAG  PARKED',
      '0     m-1             3    40          40    0    1',
      '1     m-1 (revoking)  4    35          40    5    0',
      '2     -               2    40          40    0    0',
    ]);
  });
});
