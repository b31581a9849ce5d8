import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import type { Client, ClientTransport, ConnectOptions, Delivery, ProcessItem, StoredEvent } from '../../client/index.js';
import type { Connection } from '../../transports/transport.js';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { listenWs, wsTransport } from '../../transports/ws/index.js';
import { startServer, TRANSPORTS, type RunningServer, type TransportKind } from '../support/harness.js';

/*
 * The client's consumer groups (consume, process, groups, group, replayParked) against a real
 * reference server on a memory store: durable resume, members splitting partitions by key,
 * retries, parking and replay, revoking when a member joins, and a server restart.
 */

const FAST_RECONNECT: ConnectOptions = { reconnect: { initialDelayMs: 20, maxDelayMs: 200 } };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(kind: TransportKind): Promise<RunningServer> {
  const running = await startServer(kind);
  cleanups.push(() => running.close());
  return running;
}

async function client(transport: ClientTransport, options: ConnectOptions = FAST_RECONNECT): Promise<Client> {
  const made = await connect(transport, options);
  cleanups.push(() => made.close());
  return made;
}

/** A cleanup that unsubscribes. */
function unsubscribed(subscription: { unsubscribe(): void }): Promise<void> {
  subscription.unsubscribe();
  return Promise.resolve();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Emits `count` events to `stream`, keyed over `keys` keys, numbered from `first` in their data. */
async function emitKeyed(producer: Client, stream: string, count: number, keys: number, first = 0): Promise<void> {
  const events = Array.from({ length: count }, (_, index) => ({
    type: 'placed',
    key: `k${(first + index) % keys}`,
    data: { n: first + index },
  }));
  for (let start = 0; start < events.length; start += 200) await producer.emit(stream, events.slice(start, start + 200));
}

/** Waits (bounded) until `condition` holds. */
async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * Tracks handlers across members: which keys are being processed now (a second handler of a key
 * at once is a violation), and the order in which each key's events were first processed.
 */
class KeyWatch {
  readonly running = new Set<string>();
  readonly violations: string[] = [];
  readonly firstSeen = new Map<string, number>();
  readonly orderByKey = new Map<string, number[]>();
  readonly byMember = new Map<string, number>();

  async run(member: string, event: StoredEvent, work: () => Promise<void>): Promise<void> {
    const key = event.key ?? event.stream;
    if (this.running.has(key)) this.violations.push(`${key} twice at once (seq ${event.seq}, ${member})`);
    this.running.add(key);
    try {
      await work();
    } finally {
      this.running.delete(key);
    }
    if (!this.firstSeen.has(event.id)) {
      this.firstSeen.set(event.id, event.seq);
      const order = this.orderByKey.get(key) ?? [];
      order.push(event.pos); // store-wide: a key may be in several streams of a pattern
      this.orderByKey.set(key, order);
    }
    this.byMember.set(member, (this.byMember.get(member) ?? 0) + 1);
  }

  /** Keys whose events were first processed out of position order. */
  outOfOrder(): string[] {
    return [...this.orderByKey].filter(([, seqs]) => seqs.some((seq, index) => index > 0 && seq < (seqs[index - 1] as number))).map(([key]) => key);
  }
}

describe.each(TRANSPORTS)('durable consume, over %s', (kind) => {
  it('a consumer that stops and a new one of the same group go on after the last ack, nothing skipped', async () => {
    const running = await serve(kind);
    const producer = await client(running.transport);
    await emitKeyed(producer, 'orders', 20, 5);

    // The first consumer acknowledges seqs 1..10 only, then leaves.
    const first = await client(running.transport);
    const seenFirst = new Set<number>();
    let firstDone!: () => void;
    const firstReady = new Promise<void>((resolve) => {
      firstDone = resolve;
    });
    const subscription = first.consume('billing', 'orders', { partitions: 4 }).subscribe({
      next: (delivery) => {
        seenFirst.add(delivery.event.seq);
        if (delivery.event.seq <= 10) delivery.ack();
        if (seenFirst.size === 20) firstDone();
      },
      error: (error: unknown) => {
        throw error;
      },
    });
    await Promise.race([firstReady, sleep(10_000)]);
    expect(seenFirst.size).toBe(20);
    subscription.unsubscribe();
    await first.close();

    await emitKeyed(producer, 'orders', 5, 5, 20);
    const second = await client(running.transport);
    const seenSecond: number[] = [];
    const again = second.consume('billing', 'orders').subscribe((delivery) => {
      seenSecond.push(delivery.event.seq);
      delivery.ack();
    });
    await until(() => seenSecond.length >= 15, 'the second consumer to get 15 events');
    await sleep(300); // nothing more comes
    again.unsubscribe();
    expect([...seenSecond].sort((a, b) => a - b)).toEqual(Array.from({ length: 15 }, (_, index) => index + 11));
    const info = await producer.group('billing');
    expect(info).toMatchObject({ group: 'billing', stream: 'orders', partitions: 4 });
  }, 40_000);
});

describe.each(['memory', 'ws'] as const)('consumer groups through the client, over %s', (kind) => {
  it('two members split the partitions; every event is processed, each key in order and never twice at once', async () => {
    const running = await serve(kind);
    const producer = await client(running.transport);
    const watch = new KeyWatch();
    const members = await Promise.all([client(running.transport), client(running.transport)]);
    const statuses: ProcessItem[][] = [[], []];
    members.forEach((member, index) => {
      const name = `m${index}`;
      const processing = member.process(
        'split',
        'orders.*',
        (event) => watch.run(name, event, () => sleep(Math.random() * 2)),
        { partitions: 8, member: name },
      );
      const subscription = processing.subscribe({ next: (item) => statuses[index]?.push(item) });
      cleanups.push(() => unsubscribed(subscription));
    });
    // Both are members and the partitions are split before the events come.
    await expect
      .poll(async () => (await producer.group('split'))?.memberList.map((member) => member.parts.length), { timeout: 10_000 })
      .toEqual([4, 4]);
    for (let stream = 0; stream < 3; stream += 1) await emitKeyed(producer, `orders.${stream}`, 100, 10, stream * 100);
    await until(() => watch.firstSeen.size === 300, 'every event to be processed');
    expect(watch.violations).toEqual([]);
    expect(watch.outOfOrder()).toEqual([]);
    expect(watch.byMember.get('m0')).toBeGreaterThan(0);
    expect(watch.byMember.get('m1')).toBeGreaterThan(0);
    const lastAssigned = statuses.map((items) => items.filter((item) => item.kind === 'assigned').at(-1));
    expect(lastAssigned.map((item) => (item as { parts: unknown[] }).parts.length)).toEqual([4, 4]);
    // The checkpoints reach the head.
    await expect.poll(async () => (await producer.group('split'))?.lag, { timeout: 5000 }).toBe(0);
    const listed = await producer.groups();
    expect(listed.find((group) => group.group === 'split')).toMatchObject({ stream: 'orders.*', partitions: 8, members: 2, lag: 0, parked: 0 });
  }, 40_000);

  it('nack with retryMs and with the server\'s backoff delivers the event again, counted', async () => {
    const running = await serve(kind);
    const producer = await client(running.transport);
    await producer.emit('jobs', [
      { type: 'a', key: 'x' },
      { type: 'b', key: 'y' },
    ]);
    const consumer = await client(running.transport);
    const seen: { seq: number; deliveries: number; at: number }[] = [];
    const subscription = consumer.consume('retry', 'jobs', { partitions: 2 }).subscribe((delivery: Delivery) => {
      seen.push({ seq: delivery.event.seq, deliveries: delivery.deliveries, at: Date.now() });
      if (delivery.deliveries > 1) delivery.ack();
      else if (delivery.event.seq === 1) delivery.nack({ retryMs: 200 });
      else delivery.nack();
    });
    cleanups.push(() => unsubscribed(subscription));
    await until(() => seen.length === 4, 'both events delivered twice', 10_000);
    for (const seq of [1, 2]) {
      const deliveries = seen.filter((item) => item.seq === seq);
      expect(deliveries.map((item) => item.deliveries)).toEqual([1, 2]);
      const waited = (deliveries[1] as { at: number }).at - (deliveries[0] as { at: number }).at;
      expect(waited).toBeGreaterThanOrEqual(seq === 1 ? 190 : 90);
    }
    await expect.poll(async () => (await producer.group('retry'))?.lag, { timeout: 5000 }).toBe(0);
  }, 30_000);

  it('process parks an event after maxDeliveries failures and goes on; replayParked delivers it again', async () => {
    const running = await serve(kind);
    const producer = await client(running.transport);
    await producer.emit('jobs', [
      { type: 'ok', key: 'a' },
      { type: 'poison', key: 'a' },
      { type: 'ok', key: 'a' },
      { type: 'ok', key: 'b' },
    ]);
    const worker = await client(running.transport);
    let failing = true;
    const done: number[] = [];
    const failures: ProcessItem[] = [];
    const subscription = worker
      .process(
        'parking',
        'jobs',
        (event) => {
          if (event.type === 'poison' && failing) throw new Error('cannot digest');
          done.push(event.seq);
        },
        { maxDeliveries: 2, partitions: 1 },
      )
      .subscribe((item) => {
        if (item.kind === 'handler-failed') failures.push(item);
      });
    cleanups.push(() => unsubscribed(subscription));
    await until(() => done.length === 3, 'the three good events');
    // In order within the partition: seq 3 only after 2 was parked.
    expect(done).toEqual([1, 3, 4]);
    expect(failures.map((item) => (item as { parked: boolean; context: { deliveries: number } }).context.deliveries)).toEqual([1, 2]);
    expect(failures.map((item) => (item as { parked: boolean }).parked)).toEqual([false, true]);
    await expect.poll(async () => (await producer.group('parking'))?.parked, { timeout: 5000 }).toBe(1);

    failing = false;
    expect(await producer.replayParked('parking')).toBe(1);
    await until(() => done.includes(2), 'the parked event, replayed');
    await expect.poll(async () => (await producer.group('parking'))?.parked, { timeout: 5000 }).toBe(0);
    expect(await producer.group('no-such-group')).toBeUndefined();
  }, 30_000);

  it('replayParked while new events flow: each parked event is processed and unparked, none settled unprocessed', async () => {
    const running = await serve(kind);
    const producer = await client(running.transport);
    const events = Array.from({ length: 20 }, (_, index) => ({ type: index % 4 === 1 ? 'poison' : 'ok', key: `k${index % 3}` }));
    await producer.emit('jobs', events);
    const worker = await client(running.transport);
    let failing = true;
    const processed = new Map<number, number>();
    const subscription = worker
      .process(
        'replay-flow',
        'jobs',
        async (event) => {
          if (event.type === 'poison' && failing) throw new Error('not yet');
          await sleep(1);
          processed.set(event.seq, (processed.get(event.seq) ?? 0) + 1);
        },
        { maxDeliveries: 1, partitions: 1 },
      )
      .subscribe();
    cleanups.push(() => unsubscribed(subscription));
    await until(() => processed.size === 15, 'the good events');
    await expect.poll(async () => (await producer.group('replay-flow'))?.parked, { timeout: 5000 }).toBe(5);

    failing = false;
    let emitting = true;
    const flowing = (async () => {
      for (let index = 0; emitting && index < 400; index += 1) {
        await producer.emit('jobs', { type: 'ok', key: `k${index % 3}` });
        await sleep(2);
      }
    })();
    cleanups.push(async () => {
      emitting = false;
      await flowing;
    });
    await sleep(50);
    expect(await producer.replayParked('replay-flow')).toBe(5);
    const poisoned = [2, 6, 10, 14, 18];
    await until(() => poisoned.every((seq) => processed.has(seq)), 'the replayed events to be processed');
    emitting = false;
    await flowing;
    await expect.poll(async () => (await producer.group('replay-flow'))?.parked, { timeout: 5000 }).toBe(0);
    await expect.poll(async () => (await producer.group('replay-flow'))?.lag, { timeout: 5000 }).toBe(0);
    for (const seq of poisoned) expect(processed.get(seq), `seq ${seq}`).toBe(1);
  }, 30_000);

  it('a member joining takes partitions from a busy one, which releases them only once its events are acknowledged', async () => {
    const running = await serve(kind);
    const producer = await client(running.transport);
    const watch = new KeyWatch();
    await emitKeyed(producer, 'orders', 200, 40);
    const first = await client(running.transport);
    const firstItems: ProcessItem[] = [];
    const a = first
      .process('rebalance', 'orders', (event) => watch.run('a', event, () => sleep(5)), { partitions: 8, member: 'a', concurrency: 8 })
      .subscribe((item) => firstItems.push(item));
    cleanups.push(() => unsubscribed(a));
    await until(() => watch.firstSeen.size >= 20, 'the first member to be busy');

    const second = await client(running.transport);
    const b = second
      .process('rebalance', 'orders', (event) => watch.run('b', event, () => sleep(5)), { member: 'b', concurrency: 8 })
      .subscribe();
    cleanups.push(() => unsubscribed(b));
    await until(() => watch.firstSeen.size === 200, 'every event to be processed', 20_000);
    expect(watch.violations).toEqual([]);
    expect(watch.outOfOrder()).toEqual([]);
    expect(watch.byMember.get('b')).toBeGreaterThan(0);
    const assigned = firstItems.filter((item) => item.kind === 'assigned') as { parts: { revoking: boolean }[] }[];
    expect(assigned.some((item) => item.parts.some((part) => part.revoking))).toBe(true);
    expect(assigned.at(-1)?.parts).toHaveLength(4);
  }, 40_000);

  it('a processor unsubscribed leaves cleanly: what it acknowledged is not delivered to the next member', async () => {
    const running = await serve(kind);
    const producer = await client(running.transport);
    await emitKeyed(producer, 'orders', 50, 5);
    const worker = await client(running.transport);
    const firstRun: number[] = [];
    const first = worker
      .process('leave', 'orders', async (event) => {
        await sleep(20);
        firstRun.push(event.seq);
      }, { partitions: 2 })
      .subscribe();
    await until(() => firstRun.length >= 5, 'a few events processed');
    first.unsubscribe(); // the running handlers finish and are acknowledged, then the member leaves
    const stoppedAt = firstRun.length;
    await sleep(300);
    const finished = firstRun.length;
    expect(finished).toBeGreaterThanOrEqual(stoppedAt);
    expect(finished).toBeLessThan(50);

    const next = await client(running.transport);
    const secondRun: number[] = [];
    const second = next.process('leave', 'orders', (event) => {
      secondRun.push(event.seq);
    }).subscribe();
    cleanups.push(() => unsubscribed(second));
    await until(() => firstRun.length + secondRun.length >= 50, 'the rest');
    await sleep(200);
    expect(secondRun.filter((seq) => firstRun.includes(seq))).toEqual([]);
    expect([...firstRun, ...secondRun].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
  }, 30_000);
});

/** A client transport that dials whichever server is current, so that one client outlives a server. */
class SwitchableTransport implements ClientTransport {
  target: ClientTransport | undefined;
  get description(): string {
    return this.target?.description ?? 'switchable (no server)';
  }
  connect(): Promise<Connection> {
    if (this.target === undefined) return Promise.reject(new Error('no server'));
    return this.target.connect();
  }
}

describe('a group member across a server restart', () => {
  it('joins again with the same member id after the server restarts on the same store, and goes on', async () => {
    const store = new MemoryStore();
    cleanups.push(() => store.close());
    let server = new TauonServer({ store });
    let ws = await listenWs({ host: '127.0.0.1', port: 0 });
    await server.listen(ws.transport);
    const port = Number(new URL(ws.url).port);
    const transport = new SwitchableTransport();
    transport.target = wsTransport(ws.url);
    cleanups.push(async () => {
      await server.close();
      await ws.close();
    });

    const producer = await client(transport);
    await emitKeyed(producer, 'orders', 30, 6);
    const worker = await client(transport);
    const done = new Set<number>();
    const items: ProcessItem[] = [];
    const subscription = worker
      .process('restart', 'orders', (event) => {
        done.add(event.seq);
      }, { partitions: 4 })
      .subscribe((item) => items.push(item));
    cleanups.push(() => unsubscribed(subscription));
    await until(() => done.size === 30, 'the first 30 events');
    const firstMember = (items.find((item) => item.kind === 'assigned') as { member: string }).member;

    await server.close();
    await ws.close();
    server = new TauonServer({ store });
    ws = await listenWs({ host: '127.0.0.1', port });
    await server.listen(ws.transport);

    await emitKeyed(producer, 'orders', 30, 6, 30);
    await until(() => done.size === 60, 'the 30 events emitted after the restart', 20_000);
    const assigned = items.filter((item) => item.kind === 'assigned') as { member: string; parts: unknown[] }[];
    expect(assigned.some((item) => item.parts.length === 0)).toBe(true); // lost with the connection
    expect(assigned.at(-1)?.member).toBe(firstMember);
    expect(assigned.at(-1)?.parts).toHaveLength(4);
    await expect.poll(async () => (await producer.group('restart'))?.lag, { timeout: 5000 }).toBe(0);
  }, 40_000);
});
