import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket as NodeWebSocket, WebSocketServer } from 'ws';
import { TauonError } from '../../protocol/errors.js';
import type { Connection } from '../../transports/transport.js';
import { WsServerTransport, listenWs, wsTransport } from '../../transports/ws/index.js';
import type { WebSocketConstructor, WsListener } from '../../transports/ws/index.js';
import { RawWebSocket } from '../support/raw-websocket.js';

/** A 4-byte big-endian counter frame. */
function numbered(n: number): Uint8Array {
  const frame = new Uint8Array(4);
  new DataView(frame.buffer).setUint32(0, n);
  return frame;
}

function numberOf(frame: Uint8Array): number {
  return new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0);
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** Everything to undo after each test, last first. */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A listening WebSocket server whose accepted connections are handed out in order. */
async function startServer(
  options: Parameters<typeof listenWs>[0] = {},
  onConnection: (connection: Connection) => void = () => undefined,
): Promise<{ listener: WsListener; accepted: Connection[]; nextAccepted: () => Promise<Connection> }> {
  const listener = await listenWs(options);
  cleanups.push(() => listener.close());
  const accepted: Connection[] = [];
  await listener.transport.listen((connection) => {
    accepted.push(connection);
    onConnection(connection);
  });
  let taken = 0;
  const nextAccepted = async (): Promise<Connection> => {
    const index = taken++;
    await vi.waitFor(() => expect(accepted.length).toBeGreaterThan(index), { timeout: 5_000, interval: 5 });
    return accepted[index]!;
  };
  return { listener, accepted, nextAccepted };
}

async function connectClient(url: string, options: Parameters<typeof wsTransport>[1] = {}): Promise<Connection> {
  const connection = await wsTransport(url, options).connect();
  cleanups.push(() => connection.close());
  return connection;
}

/** Resolves with the rejection of `promise`, failing the test if it fulfils. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

/** A port nothing listens on: one just freed. */
async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('ws transport', () => {
  it('carries 10,000 frames each way in order', async () => {
    const count = 10_000;
    const { listener, nextAccepted } = await startServer();
    const client = await connectClient(listener.url);
    const server = await nextAccepted();
    const atServer: number[] = [];
    const atClient: number[] = [];
    server.onFrame((frame) => atServer.push(numberOf(frame)));
    client.onFrame((frame) => atClient.push(numberOf(frame)));
    for (let n = 0; n < count; n++) {
      client.send(numbered(n));
      server.send(numbered(count - n));
    }
    await vi.waitFor(
      () => {
        expect(atServer.length).toBe(count);
        expect(atClient.length).toBe(count);
      },
      { timeout: 20_000, interval: 20 },
    );
    expect(atServer).toEqual(Array.from({ length: count }, (_, n) => n));
    expect(atClient).toEqual(Array.from({ length: count }, (_, n) => count - n));
    expect(client.bufferedAmount).toBe(0);
    expect(server.bufferedAmount).toBe(0);
  });

  it('does not lose frames the server sends the moment the connection opens', async () => {
    const { listener } = await startServer({}, (connection) => {
      for (let n = 1; n <= 3; n++) connection.send(numbered(n));
    });
    const client = await connectClient(listener.url);
    // Let the frames arrive before any handler exists: they must be held, not dropped.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const received: number[] = [];
    client.onFrame((frame) => received.push(numberOf(frame)));
    await vi.waitFor(() => expect(received).toEqual([1, 2, 3]), { timeout: 5_000, interval: 5 });
  });

  it('accepts text messages as UTF-8 frames and answers a text peer in text', async () => {
    const { listener, nextAccepted } = await startServer();
    const peer = new NodeWebSocket(listener.url);
    cleanups.push(() => peer.terminate());
    const answers: { text: string; isBinary: boolean }[] = [];
    peer.on('message', (data, isBinary) => answers.push({ text: (data as Buffer).toString('utf8'), isBinary }));
    await new Promise((resolve, reject) => {
      peer.once('open', resolve);
      peer.once('error', reject);
    });
    peer.send('{"type":"hello","versions":[1]}');
    const server = await nextAccepted();
    const frames: Uint8Array[] = [];
    server.onFrame((frame) => {
      frames.push(frame);
      server.send(utf8.encode('{"type":"welcome"}'));
    });
    await vi.waitFor(() => expect(answers).toHaveLength(1), { timeout: 5_000, interval: 5 });
    expect(frames).toEqual([utf8.encode('{"type":"hello","versions":[1]}')]);
    expect(answers).toEqual([{ text: '{"type":"welcome"}', isBinary: false }]);
  });

  it('hands the client text messages as their UTF-8 bytes', async () => {
    const httpServer = createServer();
    const plain = new WebSocketServer({ server: httpServer });
    plain.on('connection', (socket) => socket.send('{"type":"pong","nonce":1}'));
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of plain.clients) socket.terminate();
          plain.close(() => httpServer.close(() => resolve()));
        }),
    );
    const { port } = httpServer.address() as AddressInfo;
    const client = await connectClient(`ws://127.0.0.1:${port}/`);
    const received: string[] = [];
    client.onFrame((frame) => received.push(fromUtf8.decode(frame)));
    await vi.waitFor(() => expect(received).toEqual(['{"type":"pong","nonce":1}']), { timeout: 5_000, interval: 5 });
  });

  it('closes an oversize message with 1009 on both sides and keeps serving others', async () => {
    const { listener, nextAccepted } = await startServer({ maxPayload: 1024 }, (connection) => {
      connection.onFrame((frame) => connection.send(frame));
    });
    const tooBig = await connectClient(listener.url);
    const server = await nextAccepted();
    tooBig.send(new Uint8Array(2048));
    await expect(tooBig.closed).resolves.toMatchObject({ code: 1009, local: false });
    await expect(server.closed).resolves.toMatchObject({ code: 1009, local: false });

    const next = await connectClient(listener.url);
    const echoed: number[] = [];
    next.onFrame((frame) => echoed.push(numberOf(frame)));
    next.send(numbered(5));
    next.send(new Uint8Array(1024));
    await vi.waitFor(() => expect(echoed).toHaveLength(2), { timeout: 5_000, interval: 5 });
    expect(echoed[0]).toBe(5);
  });

  it('reports a client close on both sides, with the local flag on the client', async () => {
    const { listener, nextAccepted } = await startServer();
    const client = await connectClient(listener.url);
    const server = await nextAccepted();
    client.close(4000, 'heartbeat timeout');
    client.close(1000, 'second call is ignored');
    await expect(client.closed).resolves.toEqual({ code: 4000, reason: 'heartbeat timeout', local: true });
    await expect(server.closed).resolves.toEqual({ code: 4000, reason: 'heartbeat timeout', local: false });
  });

  it('reports a server close on both sides, with the local flag on the server', async () => {
    const { listener, nextAccepted } = await startServer();
    const client = await connectClient(listener.url);
    const server = await nextAccepted();
    server.close(4001, 'hello expected');
    await expect(server.closed).resolves.toEqual({ code: 4001, reason: 'hello expected', local: true });
    await expect(client.closed).resolves.toEqual({ code: 4001, reason: 'hello expected', local: false });
  });

  it('delivers the frames sent before a close, and ignores sends after it', async () => {
    const { listener, nextAccepted } = await startServer();
    const client = await connectClient(listener.url);
    const server = await nextAccepted();
    const received: number[] = [];
    client.onFrame((frame) => received.push(numberOf(frame)));
    server.send(numbered(1));
    server.send(numbered(2));
    server.close();
    server.send(numbered(3));
    await expect(client.closed).resolves.toMatchObject({ code: 1000, local: false });
    expect(received).toEqual([1, 2]);
    client.send(numbered(4));
  });

  it('sends 1000 in place of a code no close frame may carry', async () => {
    const { listener, nextAccepted } = await startServer();
    const client = await connectClient(listener.url);
    const server = await nextAccepted();
    client.close(1006, 'reserved');
    await expect(server.closed).resolves.toEqual({ code: 1000, reason: 'reserved', local: false });
  });

  it('closes every connection with 1001 when the transport closes, and then refuses new ones', async () => {
    const { listener, nextAccepted } = await startServer();
    const clients = [await connectClient(listener.url), await connectClient(listener.url)];
    const servers = [await nextAccepted(), await nextAccepted()];
    await listener.transport.close();
    for (const client of clients) {
      await expect(client.closed).resolves.toEqual({ code: 1001, reason: 'server closing', local: false });
    }
    for (const server of servers) await expect(server.closed).resolves.toMatchObject({ code: 1001, local: true });
    const error = await rejectionOf(wsTransport(listener.url).connect());
    expect(error).toBeInstanceOf(TauonError);
    expect((error as TauonError).code).toBe('closed');
  });

  it('rejects connect to a closed port with a closed TauonError naming the URL', async () => {
    const url = `ws://127.0.0.1:${await freePort()}/`;
    const error = await rejectionOf(wsTransport(url).connect());
    expect(error).toBeInstanceOf(TauonError);
    expect((error as TauonError).code).toBe('closed');
    expect((error as TauonError).message).toContain(url);
  });

  it('rejects connect when the server never answers the upgrade, after the connect timeout', async () => {
    const sockets: Socket[] = [];
    const silent = createTcpServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(() => resolve());
        }),
    );
    const url = `ws://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
    const error = await rejectionOf(wsTransport(url, { connectTimeoutMs: 200 }).connect());
    expect(error).toMatchObject({ name: 'TauonError', code: 'closed' });
    expect((error as Error).message).toMatch(/not open after 200 ms/);
  });

  describe('on an HTTP server that also serves plain requests', () => {
    async function startApiServer(): Promise<{ httpServer: Server; base: string }> {
      const httpServer = createServer((request, response) => {
        if (request.url === '/health') response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        else response.writeHead(404).end();
      });
      await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            httpServer.close(() => resolve());
            httpServer.closeAllConnections();
          }),
      );
      const { port } = httpServer.address() as AddressInfo;
      return { httpServer, base: `127.0.0.1:${port}` };
    }

    it('answers HTTP requests while WebSocket connections are open on its path', async () => {
      const { httpServer, base } = await startApiServer();
      const transport = new WsServerTransport({ server: httpServer, path: '/tauon' });
      cleanups.push(() => transport.close());
      const accepted: Connection[] = [];
      await transport.listen((connection) => {
        accepted.push(connection);
        connection.onFrame((frame) => connection.send(frame));
      });
      const client = await connectClient(`ws://${base}/tauon?token=abc`);
      const response = await fetch(`http://${base}/health`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('ok');
      const echoed: number[] = [];
      client.onFrame((frame) => echoed.push(numberOf(frame)));
      client.send(numbered(9));
      await vi.waitFor(() => expect(echoed).toEqual([9]), { timeout: 5_000, interval: 5 });
      expect(accepted).toHaveLength(1);
    });

    it('refuses upgrades on other paths with 404', async () => {
      const { httpServer, base } = await startApiServer();
      const transport = new WsServerTransport({ server: httpServer, path: '/tauon' });
      cleanups.push(() => transport.close());
      await transport.listen(() => undefined);
      const error = await rejectionOf(wsTransport(`ws://${base}/elsewhere`).connect());
      expect(error).toMatchObject({ code: 'closed' });
      expect((error as Error).message).toContain('404');
    });

    it('passes the upgrade request headers given to the client', async () => {
      const { httpServer, base } = await startApiServer();
      const seen: unknown[] = [];
      const transport = new WsServerTransport({ server: httpServer });
      cleanups.push(() => transport.close());
      await transport.listen(() => undefined);
      httpServer.on('upgrade', (request: { headers: Record<string, unknown> }) => {
        seen.push(request.headers['x-tauon-test']);
      });
      await connectClient(`ws://${base}/`, { headers: { 'X-Tauon-Test': 'yes' } });
      expect(seen).toEqual(['yes']);
    });
  });

  it('answers plain HTTP requests on a listenWs server with 404 by default', async () => {
    const { listener } = await startServer();
    const response = await fetch(listener.url.replace('ws://', 'http://') + 'anything');
    expect(response.status).toBe(404);
  });

  it('says when a peer that stopped reading has taken what was sent (onDrain), and not before', async () => {
    const { listener, nextAccepted } = await startServer({ host: '127.0.0.1', port: 0 });
    let received = 0;
    const peer = await RawWebSocket.open(listener.url, () => (received += 1));
    cleanups.push(() => peer.close());
    const server = await nextAccepted();
    peer.pause();
    const frame = new Uint8Array(64 * 1024);
    // More than loopback's socket buffers hold, so that some waits in the server.
    for (let i = 0; i < 320; i++) server.send(frame);
    let drained = 0;
    server.onDrain!(() => (drained += 1));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.bufferedAmount).toBeGreaterThan(0);
    expect(drained).toBe(0);
    peer.resume();
    await vi.waitFor(() => expect(drained).toBe(1), { timeout: 10_000, interval: 10 });
    expect(server.bufferedAmount).toBe(0);
    await vi.waitFor(() => expect(received).toBe(320), { timeout: 10_000, interval: 10 });
    // Nothing waiting: called at once, but never inside the call.
    server.onDrain!(() => (drained += 1));
    expect(drained).toBe(1);
    await vi.waitFor(() => expect(drained).toBe(2), { timeout: 1_000, interval: 5 });
  });

  it('holds the peer\'s frames while receiving is paused, and hands them over in order after', async () => {
    const { listener, nextAccepted } = await startServer({ host: '127.0.0.1', port: 0 });
    const peer = await RawWebSocket.open(listener.url, () => undefined);
    cleanups.push(() => peer.close());
    const server = await nextAccepted();
    const received: number[] = [];
    server.onFrame((frame) => received.push(numberOf(frame)));
    server.pauseReceiving!(true);
    for (let n = 0; n < 100; n++) peer.send(numbered(n));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received).toEqual([]);
    server.pauseReceiving!(false);
    await vi.waitFor(() => expect(received).toHaveLength(100), { timeout: 5_000, interval: 5 });
    expect(received).toEqual(Array.from({ length: 100 }, (_, n) => n));
  });

  it('works with an injected WebSocket implementation', async () => {
    const { listener, nextAccepted } = await startServer({}, (connection) => {
      connection.onFrame((frame) => connection.send(frame));
    });
    const client = await connectClient(listener.url, {
      WebSocket: NodeWebSocket as unknown as WebSocketConstructor,
    });
    await nextAccepted();
    const echoed: number[] = [];
    client.onFrame((frame) => echoed.push(numberOf(frame)));
    client.send(numbered(3));
    await vi.waitFor(() => expect(echoed).toEqual([3]), { timeout: 5_000, interval: 5 });
  });
});
