import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupInfo, GroupSummary } from '../../protocol/frames.js';
import { createAuthenticator } from '../../server-reference/auth/create-authenticator.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import type { RawPeer } from '../conformance/raw-peer.js';
import { sendHttp } from '../support/http-request.js';
import { append, eventually, join, startGroupsServer, withoutGroups, work, type GroupsServer } from './groups-http-fixture.js';

const ADMIN = 'admin-token-0123456789abcdef';
/** May read the orders, and write nothing. */
const READER = 'reader-token-0123456789abcdef';
/** May write the orders, and read nothing. */
const WRITER = 'writer-token-0123456789abcdef';
/** A group name that needs percent-encoding in a path. */
const AUDIT = 'audit/secret nightly';

const authenticator = () =>
  createAuthenticator({
    tokens: [
      { name: 'admin', token: ADMIN, read: ['$all'], write: ['$all'] },
      { name: 'reader', token: READER, read: ['orders.*'] },
      { name: 'writer', token: WRITER, write: ['orders.*'] },
    ],
  });

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

describe('the HTTP API of consumer groups', () => {
  let running: GroupsServer;
  /** The member m-1 of billing (subscription 1), which parked one event. */
  let member: RawPeer;
  /** The positions the member parked in the group billing. */
  let parked: number[];

  async function call(method: string, path: string, token?: string, headers: Record<string, string> = {}): Promise<Answer> {
    const answer = await sendHttp(`${running.http}${path}`, {
      method,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
    });
    return { status: answer.status, body: JSON.parse(answer.body) as unknown };
  }

  const list = async (token: string) => (await call('GET', '/groups', token)).body as GroupSummary[];
  const info = async (name: string) => (await call('GET', `/groups/${encodeURIComponent(name)}`, ADMIN)).body as GroupInfo;

  beforeAll(async () => {
    running = await startGroupsServer({ authenticate: await authenticator() });
    const admin = await running.peer(ADMIN);
    member = admin;
    await append(admin, 'orders.1', [
      { type: 'Placed', key: 'k1' },
      { type: 'Bad', key: 'k2' },
      { type: 'Placed', key: 'k3' },
    ]);
    await append(admin, 'orders.2', [
      { type: 'Placed', key: 'k4' },
      { type: 'Slow', key: 'k5' },
    ]);
    await append(admin, 'secret.1', [{ type: 'Hidden', key: 's' }]);
    // billing: one member holding every partition, one event parked, one left unacknowledged.
    await join(admin, { sub: 1, group: 'billing', stream: 'orders.*', member: 'm-1', partitions: 4 });
    parked = await work(admin, 1, 5, { park: (type) => type === 'Bad', leave: (type) => type === 'Slow' });
    // The audit group: done with everything, then left (no members).
    await join(admin, { sub: 2, group: AUDIT, stream: 'secret.*', member: 'm-2', partitions: 2 });
    await work(admin, 2, 1);
    await eventually(() => info(AUDIT), (group) => group.lag === 0);
    admin.send({ type: 'unsubscribe', sub: 2 });
    await eventually(() => info(AUDIT), (group) => group.members === 0);
    await eventually(() => info('billing'), (group) => group.parked === 1);
  });
  afterAll(() => running?.close());

  it('answers 401 on every group route without a good token', async () => {
    for (const [method, path] of [
      ['GET', '/groups'],
      ['GET', '/groups/billing'],
      ['POST', '/groups/billing/replay-parked'],
    ] as const) {
      for (const token of [undefined, 'wrong-token-0123456789abcdef']) {
        const answer = await call(method, path, token);
        expect(answer.status, `${method} ${path}`).toBe(401);
        expect(answer.body).toMatchObject({ error: { code: 'unauthorized' } });
      }
    }
  });

  it('lists the groups in brief, in name order: selector, partitions, members, lag and parked', async () => {
    const groups = await list(ADMIN);
    expect(groups.map((group) => group.group)).toEqual([AUDIT, 'billing']);
    expect(groups[0]).toMatchObject({ group: AUDIT, stream: 'secret.*', partitions: 2, members: 0, lag: 0, parked: 0 });
    expect(groups[1]).toMatchObject({ group: 'billing', stream: 'orders.*', partitions: 4, members: 1, parked: 1 });
    // The Slow event is delivered and not acknowledged: its partition's checkpoint is below it.
    expect(groups[1]!.lag).toBeGreaterThanOrEqual(1);
  });

  it('lists only the groups whose selector the token may read', async () => {
    expect((await list(READER)).map((group) => group.group)).toEqual(['billing']);
    expect(await list(WRITER)).toEqual([]);
  });

  it('describes one group (its name percent-encoded): members with their partitions, and each partition; 403 without read on its selector', async () => {
    const billing = await info('billing');
    expect(billing).toMatchObject({ group: 'billing', stream: 'orders.*', partitions: 4, members: 1, parked: 1 });
    expect(billing.memberList).toEqual([expect.objectContaining({ member: 'm-1', parts: [0, 1, 2, 3] })]);
    expect(billing.partitionList.map((part) => part.part)).toEqual([0, 1, 2, 3]);
    for (const part of billing.partitionList) {
      expect(part.owner).toBe('m-1');
      expect(part.gen).toBeGreaterThanOrEqual(1);
      expect(part.head).toBe(billing.head);
      expect(part.lag).toBe(part.head - part.checkpoint);
    }
    expect(billing.partitionList.reduce((sum, part) => sum + part.lag, 0)).toBe(billing.lag);
    expect(billing.partitionList.reduce((sum, part) => sum + part.parked, 0)).toBe(1);

    const audit = await call('GET', `/groups/${encodeURIComponent(AUDIT)}`, READER);
    // The reader may not read secret.*: refused as a read of it would be.
    expect(audit.status).toBe(403);
    expect(audit.body).toMatchObject({ error: { code: 'forbidden', details: { permission: 'read', selector: 'secret.*' } } });
    expect((await info(AUDIT)).memberList).toEqual([]);
  });

  it('answers 404 for a group or a route that does not exist, 400 for a name no group may have', async () => {
    expect(await call('GET', '/groups/nope', ADMIN)).toEqual({
      status: 404,
      body: { error: { code: 'not-found', message: 'no consumer group "nope"' } },
    });
    expect((await call('GET', '/groups/billing/members', ADMIN)).status).toBe(404);
    expect((await call('POST', '/groups/billing', ADMIN)).status).toBe(404);
    expect((await call('POST', '/groups/nope/replay-parked', ADMIN)).status).toBe(404);
    const bad = await call('GET', `/groups/${encodeURIComponent('$system')}`, ADMIN);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'bad-frame' } });
  });

  it('replays parked events only with write on the selector, and only as a request a page of another origin cannot send', async () => {
    const refused = await call('POST', '/groups/billing/replay-parked', READER);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: 'forbidden', details: { permission: 'write', selector: 'orders.*' } } });
    // No body declared as JSON: 415, as for the other POST routes (a page could send it without a preflight).
    const plain = await call('POST', '/groups/billing/replay-parked', ADMIN, { 'content-type': 'text/plain' });
    expect(plain.status).toBe(415);
    const crossSite = await call('POST', '/groups/billing/replay-parked', ADMIN, { origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    expect((await info('billing')).parked).toBe(1);

    // The writer may write orders.* (and not read it): it may replay.
    const replay = await call('POST', '/groups/billing/replay-parked', WRITER);
    expect(replay).toEqual({ status: 200, body: { group: 'billing', parked: 1 } });
  });

  it('tells the group count in GET /info', async () => {
    const answer = await call('GET', '/info', ADMIN);
    expect(answer.status).toBe(200);
    const body = answer.body as { features?: string[]; groups?: number };
    expect(body.features).toContain('groups');
    expect(body.groups).toBe(2);
  });

  it('has the member deliver the replayed parked event again; acknowledged, it is no longer parked', async () => {
    // The writer's replay (above) gave the parked event back to its partition's owner.
    expect(parked).toHaveLength(1);
    const again = await member.next(
      (frame) => frame.type === 'deliver' && frame.sub === 1 && frame.events.some((event) => event.pos === parked[0]),
      10_000,
    );
    if (again.type !== 'deliver') throw new Error('not a deliver');
    member.send({ type: 'ack', sub: 1, part: again.part, gen: again.gen, pos: [parked[0]] });
    expect((await eventually(() => info('billing'), (group) => group.parked === 0)).parked).toBe(0);
    expect(await call('POST', '/groups/billing/replay-parked', ADMIN)).toEqual({ status: 200, body: { group: 'billing', parked: 0 } });
  });
});

describe('the HTTP API of a server whose store keeps no groups', () => {
  let running: GroupsServer;
  beforeAll(async () => {
    running = await startGroupsServer({ store: withoutGroups(new MemoryStore()) });
  });
  afterAll(() => running?.close());

  it('answers 501 unsupported on every group route, and does not announce groups in GET /info', async () => {
    for (const [method, path] of [
      ['GET', '/groups'],
      ['GET', '/groups/billing'],
      ['POST', '/groups/billing/replay-parked'],
    ] as const) {
      const answer = await sendHttp(`${running.http}${path}`, { method, headers: method === 'POST' ? { 'content-type': 'application/json' } : {} });
      expect(answer.status, `${method} ${path}`).toBe(501);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'unsupported' } });
    }
    const info = JSON.parse((await sendHttp(`${running.http}/info`)).body) as { features?: string[]; groups?: number };
    expect(info.features ?? []).not.toContain('groups');
    expect(info.groups).toBeUndefined();
  });
});
