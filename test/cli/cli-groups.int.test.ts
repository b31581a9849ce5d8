import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupInfo, GroupSummary } from '../../protocol/frames.js';
import { createAuthenticator } from '../../server-reference/auth/create-authenticator.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { runTauon } from '../support/cli-process.js';
import { append, eventually, join, startGroupsServer, withoutGroups, work, type GroupsServer } from '../server/groups-http-fixture.js';

const ADMIN = 'admin-token-0123456789abcdef';
/** May read the orders, and write nothing. */
const READER = 'reader-token-0123456789abcdef';

describe('tauon groups', () => {
  let running: GroupsServer;
  const tauon = (args: readonly string[], token = ADMIN) => runTauon(['groups', '--url', running.url, '--token', token, ...args]);

  beforeAll(async () => {
    running = await startGroupsServer({
      authenticate: await createAuthenticator({
        tokens: [
          { name: 'admin', token: ADMIN, read: ['$all'], write: ['$all'] },
          { name: 'reader', token: READER, read: ['orders.*'] },
        ],
      }),
    });
    const admin = await running.peer(ADMIN);
    await append(admin, 'orders.1', [
      { type: 'Placed', key: 'k1' },
      { type: 'Bad', key: 'k2' },
      { type: 'Placed', key: 'k3' },
    ]);
    await append(admin, 'secret.1', [{ type: 'Hidden', key: 's' }]);
    await join(admin, { sub: 1, group: 'billing', stream: 'orders.*', member: 'm-1', partitions: 4 });
    await work(admin, 1, 3, { park: (type) => type === 'Bad' });
    await join(admin, { sub: 2, group: 'audit', stream: 'secret.*', member: 'm-2', partitions: 1 });
    await work(admin, 2, 1);
    admin.send({ type: 'unsubscribe', sub: 2 });
    const info = async (name: string) => (await running.get(`/groups/${name}`, ADMIN)) as Partial<GroupInfo>;
    await eventually(() => info('billing'), (group) => group.parked === 1);
    await eventually(() => info('audit'), (group) => group.members === 0);
  });
  afterAll(() => running?.close());

  it('lists the groups as a table: selector, partitions, members, lag, parked', async () => {
    const listed = await tauon([]);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    const lag = new Map(((await running.get('/groups', ADMIN)) as GroupSummary[]).map((group) => [group.group, group.lag]));
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('GROUP    SELECTOR  PARTITIONS  MEMBERS  LAG  PARKED');
    expect(lines.slice(1).map((line) => line.split(/ +/))).toEqual([
      ['audit', 'secret.*', '1', '0', String(lag.get('audit')), '0'],
      ['billing', 'orders.*', '4', '1', String(lag.get('billing')), '1'],
    ]);
  });

  it('prints the list as JSON with --json, only the groups the token may read', async () => {
    const admin = await tauon(['--json']);
    expect(admin.code).toBe(0);
    expect(JSON.parse(admin.stdout)).toEqual(await running.get('/groups', ADMIN));
    const reader = await tauon(['--json'], READER);
    expect((JSON.parse(reader.stdout) as GroupSummary[]).map((group) => group.group)).toEqual(['billing']);
  });

  it('describes one group: members with their partitions, then each partition', async () => {
    const described = await tauon(['billing']);
    expect(described.code).toBe(0);
    const lines = described.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 2)).toEqual(['group       billing', 'selector    orders.*']);
    const info = (await running.get('/groups/billing', ADMIN)) as GroupInfo;
    expect(lines).toContain(`partitions  4, members 1, head ${info.head}, lag ${info.lag}, parked 1`);
    expect(lines.find((line) => line.startsWith('m-1 '))).toMatch(/^m-1 +0-3 +\d{4}-\d\d-\d\dT/);
    const partitions = lines.slice(lines.findIndex((line) => line.startsWith('PART ')));
    expect(partitions[0]).toBe('PART  OWNER  GEN  CHECKPOINT  HEAD  LAG  PARKED');
    expect(partitions.slice(1).map((line) => line.split(/ +/).slice(0, 2))).toEqual([
      ['0', 'm-1'],
      ['1', 'm-1'],
      ['2', 'm-1'],
      ['3', 'm-1'],
    ]);

    const json = await tauon(['billing', '--json']);
    const printed = JSON.parse(json.stdout) as GroupInfo;
    expect(printed).toMatchObject({ group: 'billing', stream: 'orders.*', partitions: 4, members: 1, parked: 1 });
    expect(printed.partitionList).toHaveLength(4);
  });

  it('fails (exit 1) for a group that does not exist, or whose selector the token may not read', async () => {
    const missing = await tauon(['nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('tauon groups: not-found: no consumer group "nope"\n');
    const hidden = await tauon(['audit'], READER);
    expect(hidden.code).toBe(1);
    expect(hidden.stderr).toBe('tauon groups: forbidden: no read permission on "secret.*"\n');
  });

  it('replays parked events and prints how many, with write on the selector only', async () => {
    const refused = await tauon(['replay-parked', 'billing'], READER);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('forbidden');
    const replayed = await tauon(['replay-parked', 'billing']);
    expect(replayed.stderr).toBe('');
    expect(replayed.stdout).toBe('replaying 1 parked event of group billing\n');
    const json = await tauon(['replay-parked', 'audit', '--json']);
    expect(JSON.parse(json.stdout)).toEqual({ group: 'audit', parked: 0 });
  });

  it('exits 2 with the usage on a wrong command line, and has a --help with an example', async () => {
    for (const args of [['replay-parked'], ['billing', 'audit'], ['replay-parked', 'a', 'b'], ['--frobnicate']]) {
      const wrong = await tauon(args);
      expect(wrong.code, args.join(' ')).toBe(2);
      expect(wrong.stderr, args.join(' ')).toContain('tauon groups [--url URL]');
    }
    const help = await runTauon(['groups', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('tauon groups replay-parked NAME');
    expect(help.stdout).toContain('Example:');
  });
});

describe('tauon groups against a server whose store keeps no groups', () => {
  let running: GroupsServer;
  beforeAll(async () => {
    running = await startGroupsServer({ store: withoutGroups(new MemoryStore()) });
  });
  afterAll(() => running?.close());

  it('says the server serves no consumer groups, and exits 1', async () => {
    for (const args of [[], ['billing'], ['replay-parked', 'billing'], ['--json']]) {
      const answer = await runTauon(['groups', '--url', running.url, ...args]);
      expect(answer.code, args.join(' ')).toBe(1);
      expect(answer.stdout).toBe('');
      expect(answer.stderr).toBe(
        `tauon groups: unsupported: the server at ${running.url} serves no consumer groups (its store keeps none, or it predates them)\n`,
      );
    }
  });
});
