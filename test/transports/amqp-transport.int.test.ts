import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { connect as amqpConnect } from 'amqplib';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TauonError } from '../../protocol/errors.js';
import { AmqpServerTransport, amqpTransport } from '../../transports/amqp/index.js';
import type { AmqpServerTransportOptions } from '../../transports/amqp/index.js';
import { reconnectDelay } from '../../transports/amqp/reconnect-delay.js';
import type { CloseInfo, Connection } from '../../transports/transport.js';
import { requireService } from '../support/services.js';

const BROKER = 'amqp://127.0.0.1:5672';
const run = promisify(execFile);
const rabbitMq = await requireService('RabbitMQ', 5672);

/** A service name no other test uses. */
function uniqueService(): string {
  return `tauon-test-${randomUUID().slice(0, 8)}`;
}

/** A 4-byte big-endian counter frame (first byte 0: a msgpack frame as far as the binding can tell). */
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
const EMPTY = Buffer.alloc(0);

/** Everything to undo after each test, last first. */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A listening server transport whose accepted connections are handed out in order. */
async function startServer(
  options: Partial<AmqpServerTransportOptions> & { service: string },
  onConnection: (connection: Connection) => void = () => undefined,
): Promise<{ transport: AmqpServerTransport; accepted: Connection[]; nextAccepted: () => Promise<Connection> }> {
  const transport = new AmqpServerTransport({ url: BROKER, ...options });
  cleanups.push(() => transport.close());
  const accepted: Connection[] = [];
  await transport.listen((connection) => {
    accepted.push(connection);
    onConnection(connection);
  });
  let taken = 0;
  const nextAccepted = async (): Promise<Connection> => {
    const index = taken++;
    await vi.waitFor(() => expect(accepted.length).toBeGreaterThan(index), { timeout: 5_000, interval: 5 });
    return accepted[index]!;
  };
  return { transport, accepted, nextAccepted };
}

async function connectClient(service: string, connectTimeoutMs = 5_000): Promise<Connection> {
  const connection = await amqpTransport(BROKER, { service, connectTimeoutMs }).connect();
  cleanups.push(() => connection.close());
  return connection;
}

/** A plain amqplib connection and channel, to speak the binding by hand or to inject garbage. */
async function rawChannel(): Promise<{ model: ChannelModel; channel: Channel }> {
  const model = await amqpConnect(BROKER);
  cleanups.push(() => model.close().catch(() => undefined));
  const channel = await model.createChannel();
  return { model, channel };
}

/** Collects what a raw consumer receives on `queue`. */
async function collect(channel: Channel, queue: string): Promise<ConsumeMessage[]> {
  const received: ConsumeMessage[] = [];
  await channel.consume(
    queue,
    (message) => {
      if (message !== null) received.push(message);
    },
    { noAck: true },
  );
  return received;
}

/** Resolves with the rejection of `promise`, failing the test if it fulfils. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

describe.skipIf(!rabbitMq)('amqp transport', () => {
  it('carries 10,000 frames each way in order', async () => {
    const count = 10_000;
    const service = uniqueService();
    const { nextAccepted } = await startServer({ service });
    const client = await connectClient(service);
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
  });

  it('carries JSON frames as their bytes, in order with msgpack ones', async () => {
    const service = uniqueService();
    const { nextAccepted } = await startServer({ service });
    const client = await connectClient(service);
    const server = await nextAccepted();
    const atServer: string[] = [];
    server.onFrame((frame) => atServer.push(fromUtf8.decode(frame)));
    const frames = ['{"type":"hello"}', '{"n":1}', '\u0081\u00a1a\u0001', '{"n":2}'];
    for (const frame of frames) client.send(utf8.encode(frame));
    await vi.waitFor(() => expect(atServer).toEqual(frames), { timeout: 5_000, interval: 5 });
  });

  it('does not lose frames the server sends the moment the connection opens', async () => {
    const service = uniqueService();
    await startServer({ service }, (connection) => {
      for (let n = 1; n <= 3; n++) connection.send(numbered(n));
    });
    const client = await connectClient(service);
    // Let the frames arrive before any handler exists: they must be held, not dropped.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const received: number[] = [];
    client.onFrame((frame) => received.push(numberOf(frame)));
    await vi.waitFor(() => expect(received).toEqual([1, 2, 3]), { timeout: 5_000, interval: 5 });
  });

  it('reports a client close on both sides, with code, reason and the local flag', async () => {
    const service = uniqueService();
    const { nextAccepted } = await startServer({ service });
    const client = await connectClient(service);
    const server = await nextAccepted();
    client.close(4001, 'no hello');
    expect(await client.closed).toEqual({ code: 4001, reason: 'no hello', local: true });
    expect(await server.closed).toEqual({ code: 4001, reason: 'no hello', local: false });
  });

  it('reports a server close on both sides, after the frames sent before it', async () => {
    const service = uniqueService();
    const { nextAccepted } = await startServer({ service });
    const client = await connectClient(service);
    const server = await nextAccepted();
    const received: number[] = [];
    client.onFrame((frame) => received.push(numberOf(frame)));
    for (let n = 1; n <= 100; n++) server.send(numbered(n));
    server.close(1012, 'service restart');
    server.send(numbered(101));
    expect(await client.closed).toEqual({ code: 1012, reason: 'service restart', local: false });
    expect(await server.closed).toEqual({ code: 1012, reason: 'service restart', local: true });
    expect(received).toEqual(Array.from({ length: 100 }, (_, n) => n + 1));
  });

  it("reports the peer's close, not a loss, when frames sent after it come back", async () => {
    const service = uniqueService();
    const { nextAccepted } = await startServer({ service });
    // The server's close races the client's frames: those sent after it come back from the broker
    // (the session queue is gone) while the close still waits behind the server's frames.
    for (let round = 0; round < 5; round++) {
      const client = await connectClient(service);
      const server = await nextAccepted();
      const received: number[] = [];
      client.onFrame((frame) => {
        received.push(numberOf(frame));
        client.send(frame);
      });
      for (let n = 1; n <= 2_000; n++) server.send(numbered(n));
      server.close(1012, 'service restart');
      expect(await client.closed).toEqual({ code: 1012, reason: 'service restart', local: false });
      expect(received).toEqual(Array.from({ length: 2_000 }, (_, n) => n + 1));
    }
  });

  it('closes a second session opened for the same request', async () => {
    const service = uniqueService();
    const { channel } = await rawChannel();
    await channel.assertQueue(service, { durable: false, expires: 60_000 });
    const requests = await collect(channel, service);
    const connecting = amqpTransport(BROKER, { service }).connect();
    await vi.waitFor(() => expect(requests.length).toBe(1), { timeout: 5_000, interval: 5 });
    const replyQueue = requests[0]!.properties.replyTo as string;
    const sessionQueues: string[] = [];
    const atSessions: ConsumeMessage[][] = [];
    for (let i = 0; i < 2; i++) {
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
      sessionQueues.push(queue);
      atSessions.push(await collect(channel, queue));
    }
    // As when the broker delivers the request twice (a server died before acknowledging it).
    for (const queue of sessionQueues) channel.sendToQueue(replyQueue, EMPTY, { type: 'tauon.accept', replyTo: queue });
    const client = await connecting;
    cleanups.push(() => client.close());
    client.send(numbered(1));
    await vi.waitFor(() => expect(atSessions[1]!.length).toBe(1), { timeout: 5_000, interval: 5 });
    expect(atSessions[1]![0]!.properties).toMatchObject({
      type: 'tauon.close',
      headers: { 'tauon-close-code': 1000, 'tauon-close-reason': 'duplicate session' },
    });
    await vi.waitFor(() => expect(atSessions[0]!.length).toBe(1), { timeout: 5_000, interval: 5 });
    expect(atSessions[0]![0]!.properties.type).toBeUndefined();
  });

  it('sends 1000 in place of a code no close frame may carry, and cuts long reasons', async () => {
    const service = uniqueService();
    const { nextAccepted } = await startServer({ service });
    const client = await connectClient(service);
    const server = await nextAccepted();
    const long = 'é'.repeat(100);
    client.close(1006, long);
    const seen = await server.closed;
    expect(seen.code).toBe(1000);
    expect(seen.reason).toBe('é'.repeat(61));
    expect(await client.closed).toEqual({ code: 1000, reason: 'é'.repeat(61), local: true });
  });

  it('closes every connection with 1001 when the server transport closes, then refuses to listen again', async () => {
    const service = uniqueService();
    const { transport, nextAccepted } = await startServer({ service });
    const clients = [await connectClient(service), await connectClient(service)];
    await nextAccepted();
    await nextAccepted();
    expect(transport.connectionCount).toBe(2);
    await transport.close();
    expect(transport.connected).toBe(false);
    expect(transport.connectionCount).toBe(0);
    for (const client of clients) {
      expect(await client.closed).toEqual({ code: 1001, reason: 'server closing', local: false });
    }
    const error = await rejectionOf(transport.listen(() => undefined));
    expect(error).toBeInstanceOf(TauonError);
    expect((error as TauonError).code).toBe('closed');
  });

  it('spreads sessions across the servers of one service, each session staying with its server', async () => {
    const service = uniqueService();
    const framesPerSession = 50;
    /** What each server received, per connection: the client's id and its frame numbers. */
    const received = [new Map<Connection, string[]>(), new Map<Connection, string[]>()];
    const onConnection = (server: number) => (connection: Connection) => {
      const frames: string[] = [];
      received[server]!.set(connection, frames);
      connection.onFrame((frame) => frames.push(fromUtf8.decode(frame)));
    };
    // A small prefetch, so that neither server takes all the connect requests at once.
    await startServer({ service, prefetch: 1 }, onConnection(0));
    await startServer({ service, prefetch: 1 }, onConnection(1));
    const clients = await Promise.all(Array.from({ length: 20 }, () => connectClient(service)));
    clients.forEach((client, index) => {
      for (let n = 0; n < framesPerSession; n++) client.send(utf8.encode(`{"client":${index},"n":${n}}`));
    });
    const total = (): number =>
      received.reduce((sum, server) => sum + [...server.values()].reduce((count, frames) => count + frames.length, 0), 0);
    await vi.waitFor(() => expect(total()).toBe(clients.length * framesPerSession), { timeout: 10_000, interval: 20 });

    expect(received[0]!.size).toBeGreaterThan(0);
    expect(received[1]!.size).toBeGreaterThan(0);
    expect(received[0]!.size + received[1]!.size).toBe(clients.length);
    const sessions = [...received[0]!.values(), ...received[1]!.values()];
    const clientsSeen = sessions.map((frames) => {
      // Every frame of one server connection comes from the same client, all of them, in order.
      const client = (JSON.parse(frames[0]!) as { client: number }).client;
      expect(frames).toEqual(Array.from({ length: framesPerSession }, (_, n) => `{"client":${client},"n":${n}}`));
      return client;
    });
    expect(clientsSeen.sort((a, b) => a - b)).toEqual(Array.from({ length: clients.length }, (_, n) => n));
  });

  it('reconnects a server to the broker by itself after the broker drops its connection', async () => {
    const service = uniqueService();
    const { transport, nextAccepted } = await startServer({ service, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
    const client = await connectClient(service);
    const server = await nextAccepted();
    // Close the server's broker connection from the broker's side, as a broker shutting down does.
    await closeBrokerConnections(`tauon server (service ${service})`);
    expect(await server.closed).toMatchObject({ code: 1006, local: false });
    // The session queue went with the server's broker connection: the client's next frame comes back.
    client.send(numbered(1));
    expect(await client.closed).toMatchObject({ code: 1006, local: false });
    await vi.waitFor(() => expect(transport.connected).toBe(true), { timeout: 10_000, interval: 20 });
    const again = await connectClient(service);
    const serverAgain = await nextAccepted();
    const echoed: number[] = [];
    serverAgain.onFrame((frame) => serverAgain.send(frame));
    again.onFrame((frame) => echoed.push(numberOf(frame)));
    again.send(numbered(7));
    await vi.waitFor(() => expect(echoed).toEqual([7]), { timeout: 5_000, interval: 5 });
  });

  it('declares the service queue again when it is deleted under the server, keeping open sessions', async () => {
    const service = uniqueService();
    const { transport, nextAccepted } = await startServer({ service });
    const client = await connectClient(service);
    const server = await nextAccepted();
    const { channel } = await rawChannel();
    await channel.deleteQueue(service);
    // New sessions are accepted again once the server has declared the queue anew.
    const again = await vi.waitFor(() => amqpTransport(BROKER, { service, connectTimeoutMs: 1_000 }).connect(), {
      timeout: 10_000,
      interval: 50,
    });
    cleanups.push(() => again.close());
    expect(transport.connected).toBe(true);
    const echoed: number[] = [];
    server.onFrame((frame) => server.send(frame));
    client.onFrame((frame) => echoed.push(numberOf(frame)));
    client.send(numbered(9));
    await vi.waitFor(() => expect(echoed).toEqual([9]), { timeout: 5_000, interval: 5 });
  });

  describe('the binding on the wire (SPEC 15.2), spoken by hand', () => {
    it('a hand-made client: connect request, accept, frames with content types, close with headers', async () => {
      const service = uniqueService();
      const { nextAccepted } = await startServer({ service });
      const { channel } = await rawChannel();
      const { queue: replyQueue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
      const replies = await collect(channel, replyQueue);
      channel.sendToQueue(service, EMPTY, { type: 'tauon.connect', replyTo: replyQueue, correlationId: 'c-1' });
      await vi.waitFor(() => expect(replies.length).toBe(1), { timeout: 5_000, interval: 5 });
      const accept = replies.shift()!;
      expect(accept.properties.type).toBe('tauon.accept');
      expect(accept.properties.correlationId).toBe('c-1');
      const sessionQueue = accept.properties.replyTo as string;
      expect(sessionQueue.startsWith(`${service}.session.`)).toBe(true);

      const server = await nextAccepted();
      const atServer: number[][] = [];
      server.onFrame((frame) => atServer.push([...frame]));
      channel.sendToQueue(sessionQueue, Buffer.from('{"type":"hello"}'), { contentType: 'application/json' });
      channel.sendToQueue(sessionQueue, Buffer.from([0x81, 0xa1, 0x61, 0x01]), { contentType: 'application/msgpack' });
      await vi.waitFor(() => expect(atServer).toEqual([[...utf8.encode('{"type":"hello"}')], [0x81, 0xa1, 0x61, 0x01]]), {
        timeout: 5_000,
        interval: 5,
      });

      server.send(utf8.encode('{"type":"welcome"}'));
      server.send(new Uint8Array([0x81, 0xa1, 0x62, 0x02]));
      server.close(4001, 'handshake');
      await vi.waitFor(() => expect(replies.length).toBe(3), { timeout: 5_000, interval: 5 });
      const [json, msgpack, close] = replies as [ConsumeMessage, ConsumeMessage, ConsumeMessage];
      expect(json.properties.contentType).toBe('application/json');
      expect(json.properties.type).toBeUndefined();
      expect(json.content.toString()).toBe('{"type":"welcome"}');
      expect(msgpack.properties.contentType).toBe('application/msgpack');
      expect([...msgpack.content]).toEqual([0x81, 0xa1, 0x62, 0x02]);
      expect(close.properties.type).toBe('tauon.close');
      expect(close.properties.replyTo).toBe(sessionQueue);
      expect(close.properties.headers).toMatchObject({ 'tauon-close-code': 4001, 'tauon-close-reason': 'handshake' });
      expect(await server.closed).toEqual({ code: 4001, reason: 'handshake', local: true });
    });

    it('a hand-made server: the client sends a connect request, takes the accept, closes with headers', async () => {
      const service = uniqueService();
      const { channel } = await rawChannel();
      await channel.assertQueue(service, { durable: false, expires: 60_000 });
      const requests = await collect(channel, service);
      const transport = amqpTransport(BROKER, { service, connectTimeoutMs: 5_000 });
      const connecting = transport.connect();
      await vi.waitFor(() => expect(requests.length).toBe(1), { timeout: 5_000, interval: 5 });
      const request = requests[0]!;
      expect(request.properties.type).toBe('tauon.connect');
      expect(request.properties.correlationId).toEqual(expect.any(String));
      expect(request.properties.expiration).toBe('5000');
      const replyQueue = request.properties.replyTo as string;
      expect(replyQueue.startsWith(`${service}.reply.`)).toBe(true);

      const { queue: sessionQueue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
      const atServer = await collect(channel, sessionQueue);
      channel.sendToQueue(replyQueue, EMPTY, {
        type: 'tauon.accept',
        replyTo: sessionQueue,
        correlationId: request.properties.correlationId as string,
      });
      const client = await connecting;
      const atClient: string[] = [];
      client.onFrame((frame) => atClient.push(fromUtf8.decode(frame)));
      client.send(utf8.encode('{"type":"hello"}'));
      client.send(numbered(1));
      channel.sendToQueue(replyQueue, Buffer.from('{"type":"welcome"}'), { contentType: 'application/json' });
      await vi.waitFor(() => expect(atClient).toEqual(['{"type":"welcome"}']), { timeout: 5_000, interval: 5 });
      await vi.waitFor(() => expect(atServer.length).toBe(2), { timeout: 5_000, interval: 5 });
      expect(atServer[0]!.properties.contentType).toBe('application/json');
      expect(atServer[1]!.properties.contentType).toBe('application/msgpack');

      client.close(1000, 'done');
      expect(await client.closed).toEqual({ code: 1000, reason: 'done', local: true });
      await vi.waitFor(() => expect(atServer.length).toBe(3), { timeout: 5_000, interval: 5 });
      expect(atServer[2]!.properties.type).toBe('tauon.close');
      expect(atServer[2]!.properties.replyTo).toBe(replyQueue);
      expect(atServer[2]!.properties.headers).toMatchObject({ 'tauon-close-code': 1000, 'tauon-close-reason': 'done' });
    });

    it('a close from a hand-made server reaches the client with its code and reason, also as strings', async () => {
      const service = uniqueService();
      const { channel } = await rawChannel();
      await channel.assertQueue(service, { durable: false, expires: 60_000 });
      const requests = await collect(channel, service);
      const { queue: sessionQueue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
      const connecting = amqpTransport(BROKER, { service }).connect();
      await vi.waitFor(() => expect(requests.length).toBe(1), { timeout: 5_000, interval: 5 });
      const replyQueue = requests[0]!.properties.replyTo as string;
      channel.sendToQueue(replyQueue, EMPTY, { type: 'tauon.accept', replyTo: sessionQueue });
      const client = await connecting;
      channel.sendToQueue(replyQueue, EMPTY, {
        type: 'tauon.close',
        replyTo: sessionQueue,
        headers: { 'tauon-close-code': '4000', 'tauon-close-reason': 'no frame for three heartbeat intervals' },
      });
      expect(await client.closed).toEqual({ code: 4000, reason: 'no frame for three heartbeat intervals', local: false });
    });
  });

  describe('bad input on the service queue', () => {
    it('rejects messages that are not connect requests and keeps serving', async () => {
      const service = uniqueService();
      const { transport, nextAccepted } = await startServer({ service });
      const { channel } = await rawChannel();
      const { queue: bystander } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
      const bystanderGot = await collect(channel, bystander);
      // An empty message with no properties, a connect request without reply_to, a message with a
      // reply_to but another type, and bytes that look like a frame.
      channel.sendToQueue(service, EMPTY);
      channel.sendToQueue(service, EMPTY, { type: 'tauon.connect' });
      channel.sendToQueue(service, Buffer.from('{"type":"hello"}'), { type: 'hello', replyTo: bystander });
      channel.sendToQueue(service, Buffer.from([0x81, 0xa4, 0x74, 0x79, 0x70, 0x65]), { replyTo: bystander });

      // Still serving.
      const client = await connectClient(service);
      const server = await nextAccepted();
      const echoed: number[] = [];
      server.onFrame((frame) => server.send(frame));
      client.onFrame((frame) => echoed.push(numberOf(frame)));
      client.send(numbered(42));
      await vi.waitFor(() => expect(echoed).toEqual([42]), { timeout: 5_000, interval: 5 });
      expect(transport.connected).toBe(true);
      // Rejected for good: not requeued, not answered.
      const { messageCount } = await channel.checkQueue(service);
      expect(messageCount).toBe(0);
      expect(bystanderGot).toEqual([]);
    });

    it('closes a session at once (1006) when its reply queue does not exist', async () => {
      const service = uniqueService();
      const closings: Promise<CloseInfo>[] = [];
      await startServer({ service }, (connection) => closings.push(connection.closed));
      const { channel } = await rawChannel();
      channel.sendToQueue(service, EMPTY, { type: 'tauon.connect', replyTo: `${service}.reply.nobody` });
      await vi.waitFor(() => expect(closings.length).toBe(1), { timeout: 5_000, interval: 5 });
      expect(await closings[0]).toMatchObject({ code: 1006, local: false });
    });
  });

  describe('connect failures', () => {
    it('rejects at once when no queue exists for the service', async () => {
      const service = uniqueService();
      const started = Date.now();
      const error = await rejectionOf(amqpTransport(BROKER, { service, connectTimeoutMs: 5_000 }).connect());
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(error).toBeInstanceOf(TauonError);
      expect((error as TauonError).code).toBe('closed');
      expect((error as TauonError).message).toContain(BROKER);
      expect((error as TauonError).message).toContain(service);
    });

    it('rejects after connectTimeoutMs when the service queue exists but nobody consumes it', async () => {
      const service = uniqueService();
      const { channel } = await rawChannel();
      await channel.assertQueue(service, { durable: false, expires: 60_000 });
      const started = Date.now();
      const error = await rejectionOf(amqpTransport(BROKER, { service, connectTimeoutMs: 300 }).connect());
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(error).toBeInstanceOf(TauonError);
      expect((error as TauonError).code).toBe('closed');
      expect((error as TauonError).message).toContain('no server accepted within 300 ms');
      // The request expires with the attempt: a server that starts later does not answer it.
      await vi.waitFor(async () => expect((await channel.checkQueue(service)).messageCount).toBe(0), {
        timeout: 5_000,
        interval: 50,
      });
    });

    it('rejects when nothing listens on the port', async () => {
      const url = 'amqp://127.0.0.1:1';
      const error = await rejectionOf(amqpTransport(url, { connectTimeoutMs: 2_000 }).connect());
      expect(error).toBeInstanceOf(TauonError);
      expect((error as TauonError).code).toBe('closed');
      expect((error as TauonError).message).toContain(url);
    });

    it('rejects listen when the broker cannot be reached, and hides the password in errors', async () => {
      const transport = new AmqpServerTransport({ url: 'amqp://user:secret@127.0.0.1:1', service: uniqueService() });
      const error = await rejectionOf(transport.listen(() => undefined));
      expect(error).toBeInstanceOf(TauonError);
      expect((error as TauonError).message).not.toContain('secret');
      expect((error as TauonError).message).toContain('127.0.0.1:1');
      await transport.close();
    });
  });
});

/** Closes, from the broker's side, every connection whose connection_name is `name`. */
async function closeBrokerConnections(name: string): Promise<void> {
  const { stdout } = await run('rabbitmqctl', ['-q', '-s', 'list_connections', 'pid', 'client_properties']);
  // Each line: the connection's pid, a tab, its client properties as Erlang terms.
  const pids = stdout
    .split('\n')
    .filter((line) => line.includes(`{"connection_name","${name}"}`))
    .map((line) => line.split('\t')[0]!);
  expect(pids.length).toBeGreaterThan(0);
  for (const pid of pids) await run('rabbitmqctl', ['-q', 'close_connection', pid, 'closed by a test']);
}

describe('the server transport\'s reconnect delay', () => {
  it('doubles from the initial delay up to the cap, spread by at most 20% and never above the cap', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 1_000 };
    const middle = (): number => 0.5;
    expect([0, 1, 2, 3, 4, 5, 50].map((attempt) => reconnectDelay(attempt, options, middle))).toEqual([
      100, 200, 400, 800, 1_000, 1_000, 1_000,
    ]);
    expect(reconnectDelay(0, options, () => 0)).toBe(80);
    expect(reconnectDelay(0, options, () => 0.999_999)).toBe(120);
    expect(reconnectDelay(10, options, () => 0.999_999)).toBe(1_000);
    expect(reconnectDelay(0, {}, middle)).toBe(250);
    expect(reconnectDelay(20, {}, middle)).toBe(5_000);
  });
});
