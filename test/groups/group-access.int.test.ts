import { afterEach, describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../protocol/frames.js';
import { createAuthenticator } from '../../server-reference/auth/create-authenticator.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { startServer, type RunningServer } from '../support/harness.js';

const ADMIN = 'admin-token-0123456789abcdef';
/** May read the orders, and write nothing. */
const READER = 'reader-token-0123456789abcdef';
/** May read and write the orders. */
const WRITER = 'writer-token-0123456789abcdef';

let running: RunningServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function secured(): Promise<RunningServer> {
  running = await startServer('memory', {
    authenticate: await createAuthenticator({
      tokens: [
        { name: 'admin', token: ADMIN, read: ['$all'], write: ['$all'] },
        { name: 'reader', token: READER, read: ['orders.*'] },
        { name: 'writer', token: WRITER, read: ['orders.*'], write: ['orders.*'] },
      ],
    }),
  });
  return running;
}

const errorOf = (peer: RawPeer): Promise<ServerFrame> => peer.next((frame) => frame.type === 'error');

describe('consumer groups: who may do what', () => {
  it('needs read on the selector to consume, lists and describes only readable groups, and write on all of it to replay parked events', async () => {
    const server = await secured();
    const admin = await RawPeer.open(() => server.connect(), { token: ADMIN });
    admin.send({ type: 'consume', sub: 1, group: 'audit', stream: 'payments.*', credit: 10 });
    await admin.expect('assigned');
    admin.send({ type: 'consume', sub: 2, group: 'billing', stream: 'orders.*', credit: 10 });
    await admin.expect('assigned');

    const reader = await RawPeer.open(() => server.connect(), { token: READER });
    reader.send({ type: 'consume', sub: 1, group: 'audit', stream: 'payments.*', credit: 10 });
    expect(await errorOf(reader)).toMatchObject({ sub: 1, code: 'forbidden' });
    reader.send({ type: 'consume', sub: 2, group: 'billing', stream: 'orders.*', credit: 10 });
    await reader.expect('assigned');
    reader.send({ type: 'groups', id: 3 });
    const list = await reader.expect('group-list');
    expect(list.groups.map((group) => group.group)).toEqual(['billing']);
    reader.send({ type: 'group', id: 4, group: 'audit' });
    expect(await errorOf(reader)).toMatchObject({ id: 4, code: 'forbidden' });
    reader.send({ type: 'replay-parked', id: 5, group: 'billing' });
    expect(await errorOf(reader)).toMatchObject({ id: 5, code: 'forbidden' });

    const writer = await RawPeer.open(() => server.connect(), { token: WRITER });
    writer.send({ type: 'replay-parked', id: 6, group: 'billing' });
    expect(await writer.expect('replaying')).toMatchObject({ id: 6, group: 'billing', parked: 0 });
    writer.send({ type: 'group', id: 7, group: 'nobody' });
    expect(await errorOf(writer)).toMatchObject({ id: 7, code: 'not-found' });
  });

  it('answers acks that name no member fenced, and acks of nothing and nacks both retried and parked bad-frame', async () => {
    running = await startServer('memory');
    const peer = await RawPeer.open(() => running!.connect());
    peer.send({ type: 'ack', sub: 9, part: 0, gen: 1, upTo: 3 });
    expect(await errorOf(peer)).toMatchObject({ sub: 9, code: 'fenced' });
    peer.send({ type: 'ack', sub: 9, part: 0, gen: 1 });
    expect(await errorOf(peer)).toMatchObject({ sub: 9, code: 'bad-frame' });
    peer.send({ type: 'nack', sub: 9, part: 0, gen: 1, pos: 1, retryMs: 5, park: 'no' });
    expect(await errorOf(peer)).toMatchObject({ sub: 9, code: 'bad-frame' });
    // The session goes on.
    peer.send({ type: 'groups', id: 1 });
    expect(await peer.expect('group-list')).toMatchObject({ groups: [] });
  });

  it('does not announce groups over a store that keeps none, and answers their frames unsupported', async () => {
    const memory = new MemoryStore();
    // The same store without its `groups` (nor `projections`): as a store written before consumer groups.
    const bare = new Proxy(memory, {
      get: (target, property) => (property === 'groups' || property === 'projections' ? undefined : (Reflect.get(target, property, target) as unknown)),
    }) as EventStore;
    running = await startServer('memory', { store: bare, onClose: () => memory.close() });
    const peer = new RawPeer(await running.connect());
    peer.send({ type: 'hello', versions: [1] });
    // The memory store still checks append conditions: only that feature is announced.
    expect((await peer.expect('welcome')).features).toEqual(['append-condition']);
    peer.send({ type: 'consume', sub: 1, group: 'g', stream: 'orders', credit: 10 });
    expect(await errorOf(peer)).toMatchObject({ sub: 1, code: 'unsupported' });
    peer.send({ type: 'groups', id: 2 });
    expect(await errorOf(peer)).toMatchObject({ id: 2, code: 'unsupported' });
    peer.send({ type: 'info', id: 3 });
    const info = await peer.expect('server-info');
    expect(info.features).toEqual(['append-condition']);
    expect(info.groups).toBeUndefined();
  });

  it('frees the partitions of a member whose connection closes at once, for the others', async () => {
    running = await startServer('memory');
    const a = await RawPeer.open(() => running!.connect());
    a.send({ type: 'consume', sub: 1, group: 'g', stream: 'orders', partitions: 4, credit: 10, member: 'a' });
    expect((await a.expect('assigned')).parts).toHaveLength(4);
    const b = await RawPeer.open(() => running!.connect());
    b.send({ type: 'consume', sub: 1, group: 'g', stream: 'orders', credit: 10, member: 'b' });
    await b.next((frame) => frame.type === 'assigned' && frame.parts.length === 2);
    const closedAt = Date.now();
    a.connection.close(1000, 'gone');
    await b.next((frame) => frame.type === 'assigned' && frame.parts.length === 4);
    expect(Date.now() - closedAt).toBeLessThan(1000);
    const info = await running.server.request({ type: 'info', id: 1 });
    expect(info).toMatchObject({ groups: 1 });
    expect(info.type === 'server-info' ? info.features : undefined).toContain('groups');
  });
});
