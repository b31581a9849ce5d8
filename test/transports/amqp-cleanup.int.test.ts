import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AmqpServerTransport, amqpTransport } from '../../transports/amqp/index.js';
import type { AmqpClientTransport } from '../../transports/amqp/index.js';
import type { Connection } from '../../transports/transport.js';
import { requireService } from '../support/services.js';

const BROKER = 'amqp://127.0.0.1:5672';
const run = promisify(execFile);
const rabbitMq = await requireService('RabbitMQ', 5672);

/** A service name no other test uses. */
function uniqueService(): string {
  return `tauon-test-${randomUUID().slice(0, 8)}`;
}

/** The broker's queues that belong to the sessions of `service` (reply and session queues). */
async function sessionQueuesOf(service: string): Promise<string[]> {
  const { stdout } = await run('rabbitmqctl', ['-q', '-s', 'list_queues', 'name']);
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((name) => name.startsWith(`${service}.`));
}

/** The broker connections whose connection_name mentions `service`. */
async function brokerConnectionsOf(service: string): Promise<string[]> {
  const { stdout } = await run('rabbitmqctl', ['-q', '-s', 'list_connections', 'pid', 'client_properties']);
  return stdout.split('\n').filter((line) => line.includes(`(service ${service})`));
}

/** Waits (bounded) until no queue of the sessions of `service` is left on the broker. */
async function expectNoSessionQueues(service: string): Promise<void> {
  await vi.waitFor(async () => expect(await sessionQueuesOf(service)).toEqual([]), { timeout: 10_000, interval: 100 });
}

/** Everything to undo after each test, last first. */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A listening server transport whose accepted connections are handed out in order. */
async function startServer(service: string): Promise<{ transport: AmqpServerTransport; nextAccepted: () => Promise<Connection> }> {
  const transport = new AmqpServerTransport({ url: BROKER, service });
  cleanups.push(() => transport.close());
  const accepted: Connection[] = [];
  await transport.listen((connection) => accepted.push(connection));
  let taken = 0;
  const nextAccepted = async (): Promise<Connection> => {
    const index = taken++;
    await vi.waitFor(() => expect(accepted.length).toBeGreaterThan(index), { timeout: 5_000, interval: 5 });
    return accepted[index]!;
  };
  return { transport, nextAccepted };
}

describe.skipIf(!rabbitMq)('amqp transport clean-up', () => {
  it('leaves no queue of a session behind once the client closes', async () => {
    const service = uniqueService();
    const { nextAccepted } = await startServer(service);
    const client = await amqpTransport(BROKER, { service }).connect();
    const server = await nextAccepted();
    // Both queues exist while the session is open.
    const open = await sessionQueuesOf(service);
    expect(open.filter((name) => name.startsWith(`${service}.reply.`))).toHaveLength(1);
    expect(open.filter((name) => name.startsWith(`${service}.session.`))).toHaveLength(1);
    client.close(1000, 'done');
    await client.closed;
    await server.closed;
    expect(await sessionQueuesOf(service)).toEqual([]);
    // The client's broker connection went with its last connection.
    await vi.waitFor(async () => expect(await brokerConnectionsOf(service)).toHaveLength(1), { timeout: 5_000, interval: 100 });
  });

  it('leaves no queue and no broker connection behind once the server transport closes', async () => {
    const service = uniqueService();
    const { transport, nextAccepted } = await startServer(service);
    const clients = [await amqpTransport(BROKER, { service }).connect(), await amqpTransport(BROKER, { service }).connect()];
    await nextAccepted();
    await nextAccepted();
    await transport.close();
    for (const client of clients) expect((await client.closed).code).toBe(1001);
    expect(await sessionQueuesOf(service)).toEqual([]);
    await vi.waitFor(async () => expect(await brokerConnectionsOf(service)).toEqual([]), { timeout: 5_000, interval: 100 });
  });

  it('cleans up after a client whose broker connection dies without a goodbye', async () => {
    const service = uniqueService();
    const { transport, nextAccepted } = await startServer(service);
    const transportOfClient: AmqpClientTransport = amqpTransport(BROKER, { service });
    const [first, second] = [await transportOfClient.connect(), await transportOfClient.connect()];
    const [serverOfFirst, serverOfSecond] = [await nextAccepted(), await nextAccepted()];

    // As if the client's process died: its broker connection closes, and no close message is sent.
    const model = await transportOfClient.brokerConnection;
    await model!.close();
    expect(await first.closed).toMatchObject({ code: 1006, local: false });
    expect(await second.closed).toMatchObject({ code: 1006, local: false });
    // The reply queues, exclusive, went with the client's broker connection.
    await vi.waitFor(
      async () => expect((await sessionQueuesOf(service)).filter((name) => name.includes('.reply.'))).toEqual([]),
      { timeout: 5_000, interval: 100 },
    );

    // The server learns it from its next frame coming back...
    serverOfFirst.send(new Uint8Array([0x81, 0x01]));
    expect(await serverOfFirst.closed).toMatchObject({ code: 1006, local: false });
    // ...or closes the silent session itself (what the session engine does after three heartbeats).
    serverOfSecond.close(4000, 'no frame for three heartbeat intervals');
    expect(await serverOfSecond.closed).toMatchObject({ code: 4000, local: true });

    expect(await sessionQueuesOf(service)).toEqual([]);
    expect(transport.connectionCount).toBe(0);
  });

  it('leaves no reply queue behind when connect times out', async () => {
    const service = uniqueService();
    const transport = new AmqpServerTransport({ url: BROKER, service });
    // Declare the service queue, then stop consuming it: requests wait there, unanswered.
    await transport.listen(() => undefined);
    await transport.close();
    await expect(amqpTransport(BROKER, { service, connectTimeoutMs: 200 }).connect()).rejects.toThrow(/no server accepted/);
    await expectNoSessionQueues(service);
    await vi.waitFor(async () => expect(await brokerConnectionsOf(service)).toEqual([]), { timeout: 5_000, interval: 100 });
  });

  it('leaves nothing behind after 1,000 sessions opened and closed', async () => {
    const service = uniqueService();
    const sessions = 1_000;
    const concurrency = 20;
    const transport = new AmqpServerTransport({ url: BROKER, service });
    cleanups.push(() => transport.close());
    // The server echoes every frame; every other session is closed by the server after its echo.
    await transport.listen((connection) => {
      connection.onFrame((frame) => {
        connection.send(frame);
        if (frame[1]! % 2 === 1) connection.close(1000, 'server done');
      });
    });
    const client = amqpTransport(BROKER, { service });
    let next = 0;
    let completed = 0;
    const worker = async (): Promise<void> => {
      while (next < sessions) {
        const index = next++;
        const connection = await client.connect();
        const echoed = new Promise<Uint8Array>((resolve) => connection.onFrame(resolve));
        connection.send(new Uint8Array([0x81, index % 2]));
        expect([...(await echoed)]).toEqual([0x81, index % 2]);
        if (index % 2 === 0) connection.close(1000, 'client done');
        const info = await connection.closed;
        expect(info.code).toBe(1000);
        completed++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, () => worker()));
    expect(completed).toBe(sessions);
    await vi.waitFor(() => expect(transport.connectionCount).toBe(0), { timeout: 10_000, interval: 20 });
    await expectNoSessionQueues(service);
    // Only the server's own broker connection is left, and it goes with close().
    expect(await brokerConnectionsOf(service)).toHaveLength(1);
    await transport.close();
    await vi.waitFor(async () => expect(await brokerConnectionsOf(service)).toEqual([]), { timeout: 5_000, interval: 100 });
  }, 120_000);
});
