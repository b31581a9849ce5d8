import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApi } from '../../server-reference/http-api.js';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { startServer, TRANSPORTS, type RunningServer } from '../support/harness.js';

/*
 * A frame above maxFrameBytes is answered `error {code: "too-large"}`, then closed with 1009
 * (SPEC 8, 10), on every transport: also on WebSocket, where the message is above the socket's
 * own maxPayload and is never read (transports/ws/answering-web-socket.ts).
 */

const MIB = 1024 * 1024;

for (const kind of TRANSPORTS) {
  describe(`frames above maxFrameBytes over ${kind}`, () => {
    let running: RunningServer;
    beforeAll(async () => {
      running = await startServer(kind);
    });
    afterAll(() => running.close());

    for (const codec of ['msgpack', 'json'] as const) {
      it(`${codec}: says too-large, then closes 1009, and serves the others`, async () => {
        const other = await RawPeer.open(() => running.connect(), { codec });
        const peer = await RawPeer.open(() => running.connect(), { codec });
        expect(running.server.limits.maxFrameBytes).toBe(MIB);
        // Twice the limit (and above the WebSocket transport's default maxPayload of 1 MiB).
        peer.send({ type: 'append', id: 1, stream: 'big', events: [{ type: 'Big', data: 'x'.repeat(2 * MIB) }] });
        const closed = await peer.waitClosed(10_000);
        const error = peer.received.find((frame) => frame.type === 'error');
        expect(error).toMatchObject({ type: 'error', code: 'too-large' });
        expect(closed.code).toBe(1009);
        other.send({ type: 'ping', nonce: 7 });
        expect((await other.expect('pong')).nonce).toBe(7);
        other.send({ type: 'read', id: 2, stream: 'big' });
        expect((await other.expect('page', { id: 2 })).events).toEqual([]);
        other.close();
      });
    }

    it('says too-large for a frame just above the limit, which the transport still carries', async () => {
      const small = await startServer(kind, { limits: { maxFrameBytes: 4096 } });
      try {
        const peer = await RawPeer.open(() => small.connect());
        peer.send({ type: 'append', id: 1, stream: 'a', events: [{ type: 'A', data: 'y'.repeat(4096) }] });
        const closed = await peer.waitClosed(10_000);
        const error = peer.received.find((frame) => frame.type === 'error');
        expect(error?.type === 'error' && error.code).toBe('too-large');
        expect(error?.type === 'error' && error.message).toMatch(/exceeds the limit of 4096 bytes/);
        expect(closed.code).toBe(1009);
      } finally {
        await small.close();
      }
    });
  });
}

describe('HTTP bodies above the limit', () => {
  let server: TauonServer;
  let http: Server;
  beforeAll(async () => {
    server = new TauonServer({ store: new MemoryStore() });
    http = createServer(createHttpApi(server));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await server.close();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await server.store.close();
  });

  it('answers 413 too-large', async () => {
    const { port } = http.address() as AddressInfo;
    const answer = await fetch(`http://127.0.0.1:${port}/streams/big/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'Big', data: 'x'.repeat(2 * MIB) }),
    });
    expect(answer.status).toBe(413);
    expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('too-large');
  });

  it("holds a body to the server's maxFrameBytes", async () => {
    const small = new TauonServer({ store: new MemoryStore(), limits: { maxFrameBytes: 4096 } });
    const smallHttp = createServer(createHttpApi(small));
    await new Promise<void>((resolve) => smallHttp.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = smallHttp.address() as AddressInfo;
      const post = (size: number) =>
        fetch(`http://127.0.0.1:${port}/streams/s/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'T', data: 'x'.repeat(size) }),
        });
      expect((await post(3000)).status).toBe(201);
      const refused = await post(5000);
      expect(refused.status).toBe(413);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('at most 4096 bytes');
    } finally {
      await small.close();
      await new Promise<void>((resolve) => smallHttp.close(() => resolve()));
      await small.store.close();
    }
  });
});
