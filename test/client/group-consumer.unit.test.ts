import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connect, TauonError } from '../../client/index.js';
import type { Client, ConnectOptions, ConsumerItem, Delivery, ProcessItem } from '../../client/index.js';
import { ScriptedTransport, settle, stored } from './group-scripted-server.js';
import type { ScriptedPeer } from './group-scripted-server.js';

/*
 * The client's consumer-group side against a server scripted frame by frame: the frames it
 * sends for consume, ack, nack, release and credit, what it hands out and when, on a fake clock
 * (setTimeout and Date) for leases and reconnects.
 */

const clients: Client[] = [];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});

afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
  vi.useRealTimers();
});

async function open(
  options: ConnectOptions = {},
  welcome: Record<string, unknown> = {},
): Promise<{ client: Client; transport: ScriptedTransport; peer: ScriptedPeer }> {
  const transport = new ScriptedTransport();
  const connecting = connect(transport, { ...options, reconnect: { jitter: 0, ...options.reconnect } });
  const peer = await transport.nextPeer();
  await peer.nextOf('hello');
  peer.welcome(welcome);
  const client = await connecting;
  clients.push(client);
  return { client, transport, peer };
}

/** Drops the connection from the server side and lets the client redial after `delayMs`. */
async function dropAndResume(transport: ScriptedTransport, peer: ScriptedPeer, delayMs = 100): Promise<ScriptedPeer> {
  peer.close(1006);
  await settle();
  await vi.advanceTimersByTimeAsync(delayMs);
  const next = await transport.nextPeer();
  await next.nextOf('hello');
  next.welcome();
  await settle();
  return next;
}

/** Collects what an Observable emits, and how it ended. */
function collect<T>(observable: { subscribe: (observer: object) => { unsubscribe(): void } }) {
  const items: T[] = [];
  const result: { error?: unknown; completed: boolean } = { completed: false };
  const subscription = observable.subscribe({
    next: (item: T) => items.push(item),
    error: (error: unknown) => {
      result.error = error;
    },
    complete: () => {
      result.completed = true;
    },
  });
  return { items, result, subscription };
}

function positionsOf(deliveries: Delivery[]): number[] {
  return deliveries.map((delivery) => delivery.position);
}

describe('consume: joining', () => {
  it('sends consume with a fresh sub, the options, and one random member id kept across reconnects', async () => {
    const { client, transport, peer } = await open();
    const { subscription } = collect<Delivery>(
      client.consume('billing', 'orders.*', {
        partitions: 8,
        from: 'end',
        filter: { types: ['OrderPlaced'] },
        maxUnacked: 50,
        ackTimeoutMs: 5000,
        maxDeliveries: 3,
        leaseMs: 4000,
        prefetch: 20,
      }),
    );
    const consume = await peer.nextOf('consume');
    expect(consume).toMatchObject({
      type: 'consume',
      group: 'billing',
      stream: 'orders.*',
      partitions: 8,
      from: 'end',
      filter: { types: ['OrderPlaced'] },
      maxUnacked: 50,
      ackTimeoutMs: 5000,
      maxDeliveries: 3,
      leaseMs: 4000,
      credit: 20,
    });
    expect(consume.member).toMatch(/^[0-9a-f-]{36}$/);
    peer.assigned(consume.sub, consume.member as string, []);
    await settle();

    const next = await dropAndResume(transport, peer);
    const again = await next.nextOf('consume');
    expect(again.member).toBe(consume.member);
    expect(again.sub).toBe(consume.sub);

    subscription.unsubscribe();
    expect(await next.nextOf('unsubscribe')).toEqual({ type: 'unsubscribe', sub: consume.sub });
  });

  it('gives each subscriber its own member id and sub unless options.member names one', async () => {
    const { client, peer } = await open();
    const observable = client.consume('g', 'orders');
    collect(observable);
    collect(observable);
    collect(client.consume('g', 'orders', { member: 'worker-1' }));
    const [a, b, c] = [await peer.nextOf('consume'), await peer.nextOf('consume'), await peer.nextOf('consume')];
    expect(new Set([a.sub, b.sub, c.sub]).size).toBe(3);
    expect(a.member).not.toBe(b.member);
    expect(c.member).toBe('worker-1');
  });

  it('ends with the error of a refused consume (group-mismatch), the first frame', async () => {
    const { client, peer } = await open();
    const { result } = collect(client.consume('g', 'orders', { partitions: 4 }));
    const consume = await peer.nextOf('consume');
    peer.send({ type: 'error', sub: consume.sub, code: 'group-mismatch', message: 'the group has 16 partitions' });
    await settle();
    expect(result.error).toBeInstanceOf(TauonError);
    expect(result.error).toMatchObject({ code: 'group-mismatch' });
  });

  it('fails with unsupported, sending nothing, when the server does not announce groups', async () => {
    const { client, peer } = await open({}, { features: [] });
    const { result } = collect(client.consume('g', 'orders'));
    await settle();
    expect(result.error).toMatchObject({ code: 'unsupported' });
    await expect(client.groups()).rejects.toMatchObject({ code: 'unsupported' });
    expect(peer.unread()).toEqual([]);
  });

  it('fails at once with bad-frame when the options are not valid', async () => {
    const { client, peer } = await open();
    const { result } = collect(client.consume('$bad', 'orders'));
    const second = collect(client.consume('g', 'orders', { partitions: 5000 }));
    await settle();
    expect(result.error).toMatchObject({ code: 'bad-frame' });
    expect(second.result.error).toMatchObject({ code: 'bad-frame' });
    expect(peer.unread()).toEqual([]);
  });

  it('completes when the client is closed', async () => {
    const { client, peer } = await open();
    const { result } = collect(client.consume('g', 'orders'));
    await peer.nextOf('consume');
    await client.close();
    expect(result.completed).toBe(true);
  });
});

describe('consume: deliveries and acknowledgements', () => {
  it('hands out a partition\'s events with part, gen, position and deliveries, and batches acks per partition within a tick', async () => {
    const { client, peer } = await open();
    const { items } = collect<Delivery>(client.consume('g', 'orders'));
    const { sub, member } = await peer.nextOf('consume');
    peer.assigned(sub, member as string, [
      { part: 1, gen: 4 },
      { part: 2, gen: 5 },
    ]);
    peer.deliver(sub, 1, 4, [stored(1), stored(2), stored(3)], [1, 1, 2]);
    peer.deliver(sub, 2, 5, [stored(4), stored(5)]);
    await settle();
    expect(items.map((delivery) => [delivery.part, delivery.gen, delivery.position, delivery.deliveries])).toEqual([
      [1, 4, 1, 1],
      [1, 4, 2, 1],
      [1, 4, 3, 2],
      [2, 5, 4, 1],
      [2, 5, 5, 1],
    ]);
    expect(items[0]?.event).toEqual(stored(1));

    // One tick, one frame per partition, positions listed (never upTo: see PartitionAcks).
    for (const index of [0, 2, 3, 4]) expect(items[index]?.ack()).toBe(true);
    await settle();
    expect(peer.unread()).toEqual([
      { type: 'ack', sub, part: 1, gen: 4, pos: [1, 3] },
      { type: 'ack', sub, part: 2, gen: 5, pos: [4, 5] },
    ]);
    // Acknowledging again sends nothing.
    expect(items[0]?.ack()).toBe(true);
    items[1]?.ack();
    await settle();
    expect(peer.unread()).toEqual([{ type: 'ack', sub, part: 1, gen: 4, pos: [2] }]);
  });

  it('sends nack with retryMs, park, or neither (the server\'s backoff)', async () => {
    const { client, peer } = await open();
    const { items } = collect<Delivery>(client.consume('g', 'orders'));
    const { sub, member } = await peer.nextOf('consume');
    peer.assigned(sub, member as string, [{ part: 0, gen: 1 }]);
    peer.deliver(sub, 0, 1, [stored(1), stored(2), stored(3), stored(4)]);
    await settle();
    items[0]?.nack({ retryMs: 250 });
    items[1]?.nack({ park: 'poison' });
    items[2]?.nack();
    items[3]?.ack();
    await settle();
    expect(peer.unread()).toEqual([
      { type: 'nack', sub, part: 0, gen: 1, pos: 1, retryMs: 250 },
      { type: 'nack', sub, part: 0, gen: 1, pos: 2, park: 'poison' },
      { type: 'nack', sub, part: 0, gen: 1, pos: 3 },
      { type: 'ack', sub, part: 0, gen: 1, pos: [4] },
    ]);
  });

  it('returns credit as deliveries are handed over, once half the window is free', async () => {
    const { client, peer } = await open();
    collect<Delivery>(client.consume('g', 'orders', { prefetch: 4 }));
    const { sub, member, credit } = await peer.nextOf('consume');
    expect(credit).toBe(4);
    peer.assigned(sub, member as string, [{ part: 0, gen: 1 }]);
    peer.deliver(sub, 0, 1, [stored(1)]);
    await settle();
    expect(peer.unread()).toEqual([]);
    peer.deliver(sub, 0, 1, [stored(2)]);
    await settle();
    expect(peer.unread()).toEqual([{ type: 'credit', sub, n: 2 }]);
  });

  it('drops deliveries of a partition it does not hold at that gen (credit back), and keeps a queued position once', async () => {
    const { client, peer } = await open();
    const { items } = collect<Delivery>(client.consume('g', 'orders', { prefetch: 2 }));
    const { sub, member } = await peer.nextOf('consume');
    peer.assigned(sub, member as string, [{ part: 0, gen: 2 }]);
    peer.deliver(sub, 0, 1, [stored(1), stored(2)]); // an old generation
    await settle();
    expect(items).toEqual([]);
    expect(peer.unread()).toEqual([{ type: 'credit', sub, n: 2 }]);
  });

  it('aborts the signals and ignores acks of a partition whose gen changed or that went away', async () => {
    const { client, peer } = await open();
    const { items } = collect<Delivery>(client.consume('g', 'orders'));
    const { sub, member } = await peer.nextOf('consume');
    peer.assigned(sub, member as string, [
      { part: 0, gen: 1 },
      { part: 1, gen: 2 },
    ]);
    peer.deliver(sub, 0, 1, [stored(1)]);
    peer.deliver(sub, 1, 2, [stored(2)]);
    await settle();
    const [first, second] = items as [Delivery, Delivery];
    peer.assigned(sub, member as string, [{ part: 0, gen: 3 }]);
    await settle();
    expect(first.signal.aborted).toBe(true);
    expect(second.signal.aborted).toBe(true);
    expect(first.ack()).toBe(false);
    expect(second.nack()).toBe(false);
    await settle();
    expect(peer.unread()).toEqual([]);
  });
});

describe('consume: revoking, fenced, lost connections', () => {
  it('stops handing out a revoking partition and releases it after the last handed-out event is acknowledged', async () => {
    const { client, peer } = await open();
    const { items } = collect<Delivery>(client.consume('g', 'orders'));
    const { sub, member } = await peer.nextOf('consume');
    peer.assigned(sub, member as string, [
      { part: 0, gen: 1 },
      { part: 1, gen: 1 },
    ]);
    peer.deliver(sub, 0, 1, [stored(1), stored(2)]);
    await settle();
    peer.assigned(sub, member as string, [
      { part: 0, gen: 1, revoking: true },
      { part: 1, gen: 1 },
    ]);
    peer.deliver(sub, 0, 1, [stored(3)]); // sent before the server marked it revoking
    await settle();
    expect(positionsOf(items)).toEqual([1, 2]);
    items[0]?.ack();
    await settle();
    expect(peer.unread()).toEqual([{ type: 'ack', sub, part: 0, gen: 1, pos: [1] }]);
    items[1]?.nack();
    await settle();
    expect(peer.unread()).toEqual([
      { type: 'nack', sub, part: 0, gen: 1, pos: 2 },
      { type: 'release', sub, part: 0, gen: 1 },
    ]);
    expect(items[1]?.signal.aborted).toBe(true);
    // A later assigned still naming it at that gen does not bring it back.
    peer.assigned(sub, member as string, [
      { part: 0, gen: 1, revoking: true },
      { part: 1, gen: 1 },
    ]);
    peer.deliver(sub, 0, 1, [stored(4)]);
    await settle();
    expect(positionsOf(items)).toEqual([1, 2]);
  });

  it('releases a revoking partition with nothing handed out at once', async () => {
    const { client, peer } = await open();
    collect<Delivery>(client.consume('g', 'orders'));
    const { sub, member } = await peer.nextOf('consume');
    peer.assigned(sub, member as string, [{ part: 7, gen: 3, revoking: true }]);
    await settle();
    expect(peer.unread()).toEqual([{ type: 'release', sub, part: 7, gen: 3 }]);
  });

  it('goes on after fenced: reports it, drops that partition, keeps the others', async () => {
    const { client, peer } = await open();
    const { items, result } = collect<ConsumerItem>(client.consumeFeed('g', 'orders'));
    const { sub, member } = await peer.nextOf('consume');
    peer.assigned(sub, member as string, [
      { part: 0, gen: 1 },
      { part: 1, gen: 1 },
    ]);
    peer.deliver(sub, 0, 1, [stored(1)]);
    await settle();
    peer.send({ type: 'error', sub, code: 'fenced', message: 'not yours', details: { part: 0, gen: 1 } });
    peer.deliver(sub, 1, 1, [stored(2)]);
    await settle();
    expect(result.error).toBeUndefined();
    expect(items.map((item) => item.kind)).toEqual(['assigned', 'delivery', 'fenced', 'assigned', 'delivery']);
    expect(items[2]).toMatchObject({ kind: 'fenced', part: 0, gen: 1, error: { code: 'fenced' } });
    expect(items[3]).toEqual({ kind: 'assigned', member, parts: [{ part: 1, gen: 1, revoking: false }] });
    const first = items[1] as { delivery: Delivery };
    expect(first.delivery.signal.aborted).toBe(true);
    expect(first.delivery.ack()).toBe(false);
  });

  it('ends when the server fences the member itself (another consume took its id: fenced without part)', async () => {
    const { client, peer } = await open();
    const { result } = collect<Delivery>(client.consume('g', 'orders', { member: 'worker-1' }));
    const { sub } = await peer.nextOf('consume');
    peer.assigned(sub, 'worker-1', [{ part: 0, gen: 1 }]);
    peer.send({ type: 'error', sub, code: 'fenced', message: 'member worker-1 joined again', details: { member: 'worker-1' } });
    await settle();
    expect(result.error).toMatchObject({ code: 'fenced', details: { member: 'worker-1' } });
  });

  it('loses every partition with the connection: signals aborted, queue dropped, old acks ignored', async () => {
    const { client, transport, peer } = await open();
    const { items } = collect<ConsumerItem>(client.consumeFeed('g', 'orders'));
    const { sub, member } = await peer.nextOf('consume');
    peer.assigned(sub, member as string, [{ part: 0, gen: 1 }]);
    peer.deliver(sub, 0, 1, [stored(1)]);
    await settle();
    const next = await dropAndResume(transport, peer);
    const delivered = (items[1] as { delivery: Delivery }).delivery;
    expect(delivered.signal.aborted).toBe(true);
    expect(items[2]).toEqual({ kind: 'assigned', member, parts: [] });
    expect(delivered.ack()).toBe(false);
    await next.nextOf('consume');
    next.assigned(sub, member as string, [{ part: 0, gen: 2 }]);
    next.deliver(sub, 0, 2, [stored(1, {}), stored(2)], [2, 1]);
    await settle();
    expect(next.unread()).toEqual([]);
    const again = items.filter((item) => item.kind === 'delivery').map((item) => (item as { delivery: Delivery }).delivery);
    expect(again.map((delivery) => [delivery.gen, delivery.position, delivery.deliveries])).toEqual([
      [1, 1, 1],
      [2, 1, 2],
      [2, 2, 1],
    ]);
  });
});

describe('consume: the lease', () => {
  it('pings every quarter of the lease while consuming, and stops with the consume', async () => {
    const { client, peer } = await open();
    const { subscription } = collect(client.consume('g', 'orders', { leaseMs: 2000 }));
    const { sub, member } = await peer.nextOf('consume');
    peer.assigned(sub, member as string, []);
    await settle();
    await vi.advanceTimersByTimeAsync(2000);
    const pings = peer.unread(true).filter((frame) => frame.type === 'ping');
    expect(pings.length).toBe(4);
    subscription.unsubscribe();
    await vi.advanceTimersByTimeAsync(2000);
    expect(peer.unread(true).filter((frame) => frame.type === 'ping')).toEqual([]);
  });

  it('stops handing out and aborts signals once its lease is not sure, and goes on when a pong confirms it', async () => {
    const { client, peer } = await open();
    const { items } = collect<ConsumerItem>(client.consumeFeed('g', 'orders', { leaseMs: 1000 }));
    const { sub, member } = await peer.nextOf('consume');
    peer.assigned(sub, member as string, [{ part: 0, gen: 1 }]);
    peer.deliver(sub, 0, 1, [stored(1)]);
    await settle();
    const first = (items[1] as { delivery: Delivery }).delivery;
    // No pong comes: past the lease, the member is not sure of it any more.
    await vi.advanceTimersByTimeAsync(1001);
    expect(first.signal.aborted).toBe(true);
    expect(items.at(-1)).toEqual({ kind: 'lease', held: false });
    peer.deliver(sub, 0, 1, [stored(2)]);
    await settle();
    expect(items.filter((item) => item.kind === 'delivery').length).toBe(1);
    // A pong of a ping sent now confirms it: the queued event goes out, with a fresh signal.
    await vi.advanceTimersByTimeAsync(250);
    const ping = peer.unread(true).filter((frame) => frame.type === 'ping').at(-1);
    peer.send({ type: 'pong', nonce: (ping as { nonce: number }).nonce });
    await settle();
    expect(items.at(-2)).toEqual({ kind: 'lease', held: true });
    const second = (items.at(-1) as { delivery: Delivery }).delivery;
    expect(second.position).toBe(2);
    expect(second.signal.aborted).toBe(false);
    // The first one's ack still goes: the server may well have kept the lease.
    expect(first.ack()).toBe(true);
  });

  it('does not hand out what it finds on waking past its lease before a newer pong (a stopped process)', async () => {
    const { client, peer } = await open();
    const { items } = collect<ConsumerItem>(client.consumeFeed('g', 'orders', { leaseMs: 1000 }));
    const { sub, member } = await peer.nextOf('consume');
    peer.assigned(sub, member as string, [{ part: 0, gen: 1 }]);
    await settle();
    // The clock jumps (the process was stopped) without its timers having run; then frames arrive.
    vi.setSystemTime(Date.now() + 5000);
    peer.deliver(sub, 0, 1, [stored(1)]);
    await settle();
    expect(items.filter((item) => item.kind === 'delivery')).toEqual([]);
    // The server moved the partition meanwhile: its assigned comes before any newer pong.
    peer.assigned(sub, member as string, []);
    await vi.advanceTimersByTimeAsync(250);
    const ping = peer.unread(true).filter((frame) => frame.type === 'ping').at(-1);
    peer.send({ type: 'pong', nonce: (ping as { nonce: number }).nonce });
    await settle();
    expect(items.filter((item) => item.kind === 'delivery')).toEqual([]);
  });
});

describe('process', () => {
  it('runs partitions in parallel, each strictly in order, and acknowledges when the handler resolves', async () => {
    const { client, peer } = await open();
    const started: number[] = [];
    const finish = new Map<number, () => void>();
    collect<ProcessItem>(
      client.process('g', 'orders', (event) => {
        started.push(event.seq);
        return new Promise<void>((resolve) => finish.set(event.seq, resolve));
      }),
    );
    const { sub, member } = await peer.nextOf('consume');
    peer.assigned(sub, member as string, [
      { part: 0, gen: 1 },
      { part: 1, gen: 1 },
    ]);
    peer.deliver(sub, 0, 1, [stored(1), stored(2)]);
    peer.deliver(sub, 1, 1, [stored(3), stored(4)]);
    await settle();
    expect(started.sort()).toEqual([1, 3]);
    finish.get(1)?.();
    await settle();
    expect(started).toContain(2);
    expect(peer.unread()).toEqual([{ type: 'ack', sub, part: 0, gen: 1, pos: [1] }]);
  });

  it('keeps to the concurrency bound', async () => {
    const { client, peer } = await open();
    let running = 0;
    let most = 0;
    const done: (() => void)[] = [];
    collect(
      client.process(
        'g',
        'orders',
        () => {
          running += 1;
          most = Math.max(most, running);
          return new Promise<void>((resolve) =>
            done.push(() => {
              running -= 1;
              resolve();
            }),
          );
        },
        { concurrency: 2 },
      ),
    );
    const { sub, member } = await peer.nextOf('consume');
    peer.assigned(sub, member as string, [0, 1, 2, 3].map((part) => ({ part, gen: 1 })));
    for (const part of [0, 1, 2, 3]) peer.deliver(sub, part, 1, [stored(10 + part)]);
    await settle();
    expect(running).toBe(2);
    for (let round = 0; round < 4 && done.length > 0; round += 1) {
      done.shift()?.();
      await settle();
    }
    for (const resolve of done.splice(0)) resolve();
    await settle();
    expect(most).toBe(2);
  });

  it('nacks a failed event and runs nothing later of its partition until its retry succeeded', async () => {
    const { client, peer } = await open();
    const runs: string[] = [];
    let failNext = true;
    const { items } = collect<ProcessItem>(
      client.process('g', 'orders', (event, context) => {
        runs.push(`${event.seq}#${context.deliveries}`);
        if (event.seq === 1 && failNext) {
          failNext = false;
          throw new Error('boom');
        }
        return Promise.resolve();
      }),
    );
    const { sub, member } = await peer.nextOf('consume');
    peer.assigned(sub, member as string, [{ part: 0, gen: 1 }]);
    peer.deliver(sub, 0, 1, [stored(1), stored(2)]);
    await settle();
    expect(runs).toEqual(['1#1']);
    expect(peer.unread()).toEqual([{ type: 'nack', sub, part: 0, gen: 1, pos: 1 }]);
    expect(items.at(-1)).toMatchObject({ kind: 'handler-failed', parked: false, error: new Error('boom') });
    await settle();
    expect(runs).toEqual(['1#1']);
    peer.deliver(sub, 0, 1, [stored(1)], [2]); // the retry
    await settle();
    expect(runs).toEqual(['1#1', '1#2', '2#1']);
    // One after the other: each acknowledged before the next started.
    expect(peer.unread()).toEqual([
      { type: 'ack', sub, part: 0, gen: 1, pos: [1] },
      { type: 'ack', sub, part: 0, gen: 1, pos: [2] },
    ]);
  });

  it('goes on past an event whose last delivery failed (the server parks it)', async () => {
    const { client, peer } = await open();
    const runs: number[] = [];
    const { items } = collect<ProcessItem>(
      client.process(
        'g',
        'orders',
        (event) => {
          runs.push(event.seq);
          if (event.seq === 1) return Promise.reject(new Error('poison'));
          return undefined;
        },
        { maxDeliveries: 2 },
      ),
    );
    const { sub, member } = await peer.nextOf('consume');
    peer.assigned(sub, member as string, [{ part: 0, gen: 1 }]);
    peer.deliver(sub, 0, 1, [stored(1), stored(2)], [2, 1]);
    await settle();
    await settle();
    expect(runs).toEqual([1, 2]);
    expect(items.find((item) => item.kind === 'handler-failed')).toMatchObject({ parked: true });
  });

  it('does not run the handler again for a redelivery of an event queued or in progress', async () => {
    const { client, peer } = await open();
    const runs: number[] = [];
    let release: (() => void) | undefined;
    collect(
      client.process('g', 'orders', (event) => {
        runs.push(event.seq);
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      }),
    );
    const { sub, member } = await peer.nextOf('consume');
    peer.assigned(sub, member as string, [{ part: 0, gen: 1 }]);
    peer.deliver(sub, 0, 1, [stored(1), stored(2)]);
    await settle();
    peer.deliver(sub, 0, 1, [stored(1), stored(2)], [2, 2]); // the ack timeout passed
    await settle();
    release?.();
    await settle();
    release?.();
    await settle();
    expect(runs).toEqual([1, 2]);
  });

  it('on unsubscribe starts nothing more, lets running handlers finish and ack, then unsubscribes', async () => {
    const { client, peer } = await open();
    const runs: number[] = [];
    let release: (() => void) | undefined;
    const { subscription } = collect(
      client.process('g', 'orders', (event) => {
        runs.push(event.seq);
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      }),
    );
    const { sub, member } = await peer.nextOf('consume');
    peer.assigned(sub, member as string, [{ part: 0, gen: 1 }]);
    peer.deliver(sub, 0, 1, [stored(1), stored(2)]);
    await settle();
    subscription.unsubscribe();
    await settle();
    expect(peer.unread()).toEqual([]);
    release?.();
    await settle();
    expect(runs).toEqual([1]);
    expect(peer.unread()).toEqual([
      { type: 'ack', sub, part: 0, gen: 1, pos: [1] },
      { type: 'unsubscribe', sub },
    ]);
  });

  it('waits for an aborted handler of a partition before running that partition again at a new gen', async () => {
    const { client, peer } = await open();
    const runs: string[] = [];
    let release: (() => void) | undefined;
    collect(
      client.process('g', 'orders', (event, context) => {
        runs.push(`${event.seq}@${context.gen}`);
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      }),
    );
    const { sub, member } = await peer.nextOf('consume');
    peer.assigned(sub, member as string, [{ part: 0, gen: 1 }]);
    peer.deliver(sub, 0, 1, [stored(1)]);
    await settle();
    peer.assigned(sub, member as string, [{ part: 0, gen: 2 }]);
    peer.deliver(sub, 0, 2, [stored(1)], [2]);
    await settle();
    expect(runs).toEqual(['1@1']);
    release?.();
    await settle();
    expect(runs).toEqual(['1@1', '1@2']);
    expect(peer.unread()).toEqual([]); // the ack of gen 1 is not sent
  });
});

describe('groups, group, replayParked', () => {
  it('asks and answers', async () => {
    const { client, peer } = await open();
    const summary = { group: 'g', stream: 'orders', partitions: 4, members: 1, lag: 3, parked: 1 };
    const listing = client.groups();
    const listed = await peer.nextOf('groups');
    peer.send({ type: 'group-list', id: listed.id, groups: [summary] });
    expect(await listing).toEqual([summary]);

    const info = { ...summary, created: 1, head: 9, memberList: [], partitionList: [] };
    const asking = client.group('g');
    const asked = await peer.nextOf('group');
    expect(asked.group).toBe('g');
    peer.send({ type: 'group-info', id: asked.id, group: info });
    expect(await asking).toEqual(info);

    const missing = client.group('none');
    const askedMissing = await peer.nextOf('group');
    peer.send({ type: 'error', id: askedMissing.id, code: 'not-found', message: 'no group none' });
    expect(await missing).toBeUndefined();

    const replaying = client.replayParked('g');
    const replay = await peer.nextOf('replay-parked');
    peer.send({ type: 'replaying', id: replay.id, group: 'g', parked: 3 });
    expect(await replaying).toBe(3);
  });
});
