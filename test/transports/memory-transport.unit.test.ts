import { describe, expect, it } from 'vitest';
import { TauonError } from '../../protocol/errors.js';
import { MemoryServerTransport, createMemoryPair, memoryTransport } from '../../transports/memory/index.js';
import type { Connection } from '../../transports/transport.js';

/** A 4-byte big-endian counter frame. */
function numbered(n: number): Uint8Array {
  const frame = new Uint8Array(4);
  new DataView(frame.buffer).setUint32(0, n);
  return frame;
}

function numberOf(frame: Uint8Array): number {
  return new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0);
}

/** Collects every frame a connection receives, as numbers. */
function collect(connection: Connection): number[] {
  const received: number[] = [];
  connection.onFrame((frame) => received.push(numberOf(frame)));
  return received;
}

/** Resolves after pending microtasks and one macrotask. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('createMemoryPair', () => {
  it('delivers frames in order both ways, after send returns', async () => {
    const [a, b] = createMemoryPair();
    const atA = collect(a);
    const atB = collect(b);
    const count = 10_000;
    for (let n = 0; n < count; n++) {
      a.send(numbered(n));
      b.send(numbered(count + n));
    }
    expect(atB).toEqual([]);
    await settle();
    expect(atB).toEqual(Array.from({ length: count }, (_, n) => n));
    expect(atA).toEqual(Array.from({ length: count }, (_, n) => count + n));
  });

  it('copies the bytes, so the sender may reuse its buffer', async () => {
    const [a, b] = createMemoryPair();
    const received: Uint8Array[] = [];
    b.onFrame((frame) => received.push(frame));
    const buffer = new Uint8Array([1, 2, 3]);
    a.send(buffer);
    buffer.fill(9);
    await settle();
    expect(received).toEqual([new Uint8Array([1, 2, 3])]);
  });

  it('holds frames until the handler is set, then delivers them in order', async () => {
    const [a, b] = createMemoryPair();
    for (let n = 0; n < 5; n++) a.send(numbered(n));
    await settle();
    expect(b.bufferedAmount).toBe(0);
    expect(a.bufferedAmount).toBe(20);
    const received = collect(b);
    expect(received).toEqual([]);
    a.send(numbered(5));
    await settle();
    expect(received).toEqual([0, 1, 2, 3, 4, 5]);
    expect(a.bufferedAmount).toBe(0);
  });

  it('delivers frames sent later from inside a handler after the ones already queued', async () => {
    const [a, b] = createMemoryPair();
    const received: number[] = [];
    b.onFrame((frame) => {
      const n = numberOf(frame);
      received.push(n);
      if (n === 0) a.send(numbered(100));
    });
    a.send(numbered(0));
    a.send(numbered(1));
    await settle();
    expect(received).toEqual([0, 1, 100]);
  });

  it('does not limit frame size (the session engine does)', async () => {
    const [a, b] = createMemoryPair();
    const received: Uint8Array[] = [];
    b.onFrame((frame) => received.push(frame));
    a.send(new Uint8Array(4 * 1024 * 1024).fill(7));
    await settle();
    expect(received[0]?.byteLength).toBe(4 * 1024 * 1024);
  });

  it('closes both sides with the local flag on the side that closed', async () => {
    const [a, b] = createMemoryPair();
    a.close(4000, 'silent peer');
    await expect(a.closed).resolves.toEqual({ code: 4000, reason: 'silent peer', local: true });
    await expect(b.closed).resolves.toEqual({ code: 4000, reason: 'silent peer', local: false });
  });

  it('defaults to code 1000 and is idempotent', async () => {
    const [a, b] = createMemoryPair();
    a.close();
    a.close(4001, 'again');
    b.close(4002, 'late');
    await expect(a.closed).resolves.toEqual({ code: 1000, reason: '', local: true });
    await expect(b.closed).resolves.toEqual({ code: 1000, reason: '', local: false });
  });

  it('delivers the frames sent before a close before the peer learns of it', async () => {
    const [a, b] = createMemoryPair();
    const received = collect(b);
    let receivedWhenClosed: number[] = [];
    void b.closed.then(() => {
      receivedWhenClosed = [...received];
    });
    a.send(numbered(1));
    a.send(numbered(2));
    a.close();
    a.send(numbered(3));
    await settle();
    expect(receivedWhenClosed).toEqual([1, 2]);
    expect(received).toEqual([1, 2]);
  });

  it('reports the close to a peer without a handler, and still hands it the frames that arrived', async () => {
    const [a, b] = createMemoryPair();
    a.send(numbered(1));
    a.close();
    await expect(b.closed).resolves.toMatchObject({ local: false });
    const received = collect(b);
    await settle();
    expect(received).toEqual([1]);
  });

  it('drops sends after either side closed, and delivers nothing to a side after it closed', async () => {
    const [a, b] = createMemoryPair();
    const atA = collect(a);
    const atB = collect(b);
    b.send(numbered(1));
    a.close();
    b.send(numbered(2));
    a.send(numbered(3));
    await settle();
    expect(atA).toEqual([]);
    expect(atB).toEqual([]);
  });

  it('keeps delivering after a handler throws, and surfaces the error', async () => {
    const [a, b] = createMemoryPair();
    const received: number[] = [];
    const thrown: unknown[] = [];
    const onUncaught = (error: unknown): void => {
      thrown.push(error);
    };
    process.prependListener('uncaughtException', onUncaught);
    try {
      b.onFrame((frame) => {
        received.push(numberOf(frame));
        if (numberOf(frame) === 1) throw new Error('handler bug');
      });
      a.send(numbered(1));
      a.send(numbered(2));
      await settle();
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(received).toEqual([1, 2]);
    expect(thrown).toEqual([new Error('handler bug')]);
  });

  it('holds what a paused side is sent, counted in the sender\'s bufferedAmount, and says drained once it took it all', async () => {
    const [a, b] = createMemoryPair();
    const received = collect(b);
    b.pauseReceiving!(true);
    for (let n = 0; n < 100; n++) a.send(numbered(n));
    let drained = 0;
    a.onDrain!(() => (drained += 1));
    await settle();
    expect(received).toEqual([]);
    expect(a.bufferedAmount).toBe(400);
    expect(drained).toBe(0);
    b.pauseReceiving!(false);
    await settle();
    expect(received).toEqual(Array.from({ length: 100 }, (_, n) => n));
    expect(a.bufferedAmount).toBe(0);
    expect(drained).toBe(1);
    // Nothing waiting: called at once, but never inside the call.
    a.onDrain!(() => (drained += 1));
    expect(drained).toBe(1);
    await settle();
    expect(drained).toBe(2);
  });

  it('stops delivering at once when a handler pauses, keeping the order of what follows', async () => {
    const [a, b] = createMemoryPair();
    const received: number[] = [];
    b.onFrame((frame) => {
      received.push(numberOf(frame));
      if (received.length === 3) b.pauseReceiving!(true);
    });
    for (let n = 0; n < 10; n++) a.send(numbered(n));
    await settle();
    expect(received).toEqual([0, 1, 2]);
    expect(a.bufferedAmount).toBe(28);
    a.send(numbered(10));
    b.pauseReceiving!(false);
    await settle();
    expect(received).toEqual(Array.from({ length: 11 }, (_, n) => n));
  });

  it('calls a drain listener when the connection closes with frames still held', async () => {
    const [a, b] = createMemoryPair();
    collect(b);
    b.pauseReceiving!(true);
    a.send(numbered(1));
    let drained = false;
    a.onDrain!(() => (drained = true));
    await settle();
    expect(drained).toBe(false);
    b.close();
    await settle();
    expect(drained).toBe(true);
  });
});

describe('MemoryServerTransport and memoryTransport', () => {
  it('connects a client to the server and carries frames both ways', async () => {
    const server = new MemoryServerTransport({ name: 'unit' });
    await server.listen((connection) => {
      connection.onFrame((frame) => connection.send(numbered(numberOf(frame) * 2)));
    });
    const transport = memoryTransport(server);
    expect(transport.description).toBe('memory:unit');
    const connection = await transport.connect();
    const received = collect(connection);
    connection.send(numbered(21));
    await settle();
    expect(received).toEqual([42]);
    await server.close();
  });

  it('holds frames the server sends on connection until the client sets its handler', async () => {
    const server = new MemoryServerTransport();
    await server.listen((connection) => connection.send(numbered(7)));
    const connection = await memoryTransport(server).connect();
    await settle();
    const received = collect(connection);
    await settle();
    expect(received).toEqual([7]);
    await server.close();
  });

  it('rejects connect with a closed TauonError before listen and after close', async () => {
    const server = new MemoryServerTransport();
    const transport = memoryTransport(server);
    await expect(transport.connect()).rejects.toMatchObject({ name: 'TauonError', code: 'closed' });
    await server.listen(() => undefined);
    await server.close();
    const failure = await transport.connect().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TauonError);
    expect((failure as TauonError).code).toBe('closed');
    await expect(server.listen(() => undefined)).rejects.toMatchObject({ code: 'closed' });
  });

  it('rejects connect when the connection handler throws', async () => {
    const server = new MemoryServerTransport();
    await server.listen(() => {
      throw new Error('handler bug');
    });
    await expect(memoryTransport(server).connect()).rejects.toMatchObject({ code: 'closed' });
    await server.close();
  });

  it('closes every open connection on close(), with 1001 and local false on the client side', async () => {
    const server = new MemoryServerTransport();
    const serverEnds: Connection[] = [];
    await server.listen((connection) => serverEnds.push(connection));
    const clients = await Promise.all([1, 2, 3].map(() => memoryTransport(server).connect()));
    clients[2]!.close();
    await server.close();
    for (const client of clients.slice(0, 2)) {
      await expect(client.closed).resolves.toEqual({ code: 1001, reason: 'server closing', local: false });
    }
    await expect(serverEnds[0]!.closed).resolves.toMatchObject({ code: 1001, local: true });
    await expect(serverEnds[2]!.closed).resolves.toMatchObject({ code: 1000, local: false });
  });
});
