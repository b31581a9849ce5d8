import { describe, expect, it } from 'vitest';
import { RawPeer } from './raw-peer.js';
import { describeWebSocketBinding } from './websocket-binding-suite.js';
import type { ServerUnderTest } from './kit/server-under-test.js';

let streamCounter = 0;
/** A stream name no other test uses, so the suite can run against a server that has data. */
function freshStream(label: string, prefix = 'conf-'): string {
  streamCounter += 1;
  return `${prefix}${label}-${Date.now().toString(36)}-${streamCounter}`;
}

function events(count: number, type = 'Tested', from = 1): { id: string; type: string; data: { n: number } }[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${type}-${from + i}-${Math.random()}`, type, data: { n: from + i } }));
}

/**
 * The cases of the wire suite written before the kit's cases (kit/, cases/): each moves to the
 * case file of its section, and this file goes when it is empty.
 */
export function describeLegacyCases(name: string, server: ServerUnderTest): void {
  const open = (codec: 'msgpack' | 'json' = 'msgpack') =>
    RawPeer.open(() => server.connect(), { codec, ...(server.token === undefined ? {} : { token: server.token }) });

  async function append(peer: RawPeer, stream: string, list: object[], extra: object = {}) {
    const id = peer.id();
    peer.send({ type: 'append', id, stream, events: list, ...extra });
    return peer.next((frame) => (frame.type === 'appended' || frame.type === 'error') && frame.id === id);
  }

  describe(`wire conformance (legacy): ${name}`, () => {
    describe('bad input', () => {
      it('closes only the connection that sent undecodable bytes', async () => {
        const other = await open();
        const peer = await open();
        peer.sendBytes(new Uint8Array([0xc1, 0xc1, 0xc1]));
        const error = await peer.expect('error');
        expect(error.code).toBe('bad-frame');
        await peer.waitClosed();
        other.send({ type: 'ping', nonce: 1 });
        expect((await other.expect('pong')).nonce).toBe(1);
        other.close();
      });

      it('answers an unknown frame type with unknown-frame and stays open', async () => {
        const peer = await open();
        peer.send({ type: 'teleport', id: 3 });
        expect((await peer.expect('error')).code).toBe('unknown-frame');
        peer.send({ type: 'ping', nonce: 2 });
        expect((await peer.expect('pong')).nonce).toBe(2);
        peer.close();
      });

      it('answers missing and mistyped fields with bad-frame naming the request, and stays open', async () => {
        const peer = await open();
        peer.send({ type: 'append', id: 11, events: [{ type: 'X' }] });
        const missing = await peer.expect('error', { id: 11 });
        expect(missing.code).toBe('bad-frame');
        peer.send({ type: 'read', id: 12, stream: 42 });
        expect((await peer.expect('error', { id: 12 })).code).toBe('bad-frame');
        peer.send({ type: 'subscribe', sub: 5, stream: 's', mode: 'sideways', credit: 1 });
        expect((await peer.expect('error', { sub: 5 })).code).toBe('bad-frame');
        peer.send({ type: 'ping', nonce: 3 });
        expect((await peer.expect('pong')).nonce).toBe(3);
        peer.close();
      });

      it('refuses an oversize frame with too-large, then a close 1009, and keeps serving others', async () => {
        const other = await open();
        const peer = await open();
        peer.send({ type: 'info', id: 1 });
        const limit = (await peer.expect('server-info', { id: 1 })).limits.maxFrameBytes;
        peer.send({ type: 'append', id: 2, stream: freshStream('big'), events: [{ type: 'Big', data: 'x'.repeat(limit + 10) }] });
        const info = await peer.waitClosed();
        const error = peer.received.find((frame) => frame.type === 'error');
        // SPEC 8 and 10: the error that says why, then the close.
        expect(error?.code).toBe('too-large');
        expect(info.code).toBe(1009);
        other.send({ type: 'ping', nonce: 4 });
        expect((await other.expect('pong')).nonce).toBe(4);
        other.close();
      });
    });

    describe('read, surface, streams, info', () => {
      it('reads pages forward and backward with where the next page starts', async () => {
        const peer = await open();
        const stream = freshStream('read');
        await append(peer, stream, events(7));
        let id = peer.id();
        peer.send({ type: 'read', id, stream, limit: 3 });
        let page = await peer.expect('page', { id });
        expect(page.events.map((event) => event.seq)).toEqual([1, 2, 3]);
        expect(page.next).toEqual({ after: 3 });
        id = peer.id();
        peer.send({ type: 'read', id, stream, from: { after: 5 }, limit: 3 });
        page = await peer.expect('page', { id });
        expect(page.events.map((event) => event.seq)).toEqual([6, 7]);
        expect(page.next).toBeNull();
        id = peer.id();
        peer.send({ type: 'read', id, stream, direction: 'backward', limit: 3 });
        page = await peer.expect('page', { id });
        expect(page.events.map((event) => event.seq)).toEqual([7, 6, 5]);
        expect(page.next).toEqual({ before: 5 });
        id = peer.id();
        peer.send({ type: 'read', id, stream, direction: 'backward', from: { before: 3 }, limit: 3 });
        page = await peer.expect('page', { id });
        expect(page.events.map((event) => event.seq)).toEqual([2, 1]);
        expect(page.next).toBeNull();
        peer.close();
      });

      it('surfaces the newest event of each key', async () => {
        const peer = await open();
        const stream = freshStream('surface');
        await append(peer, stream, [
          { type: 'P', key: 'a', data: 1 },
          { type: 'P', key: 'b', data: 2 },
          { type: 'P', key: 'a', data: 3 },
          { type: 'P', data: 4 },
        ]);
        const id = peer.id();
        peer.send({ type: 'surface', id, stream });
        const page = await peer.expect('page', { id });
        expect(page.events.map((event) => [event.key, event.data])).toEqual([
          ['b', 2],
          ['a', 3],
        ]);
        peer.close();
      });

      it('lists streams with heads and counts, and describes itself', async () => {
        const peer = await open();
        const prefix = freshStream('list');
        await append(peer, `${prefix}.one`, events(2));
        await append(peer, `${prefix}.two`, events(1));
        let id = peer.id();
        peer.send({ type: 'streams', id, prefix });
        const list = await peer.expect('stream-list', { id });
        expect(list.streams.map((summary) => [summary.stream, summary.head, summary.count])).toEqual([
          [`${prefix}.one`, 2, 2],
          [`${prefix}.two`, 1, 1],
        ]);
        id = peer.id();
        peer.send({ type: 'info', id });
        const info = await peer.expect('server-info', { id });
        expect(info.version).toBe(1);
        expect(info.head).toBeGreaterThanOrEqual(3);
        peer.close();
      });

      it('answers ping with pong carrying the same nonce', async () => {
        const peer = await open();
        peer.send({ type: 'ping', nonce: 99 });
        expect((await peer.expect('pong')).nonce).toBe(99);
        peer.close();
      });
    });

    if (server.webSocketUrl !== undefined) describeWebSocketBinding(server.webSocketUrl);
  });
}
