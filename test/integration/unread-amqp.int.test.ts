import { afterEach, describe, expect, it } from 'vitest';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';
import type { ServerFrame } from '../../protocol/frames.js';
import { amqpTransport } from '../../transports/amqp/index.js';
import type { Connection } from '../../transports/transport.js';
import { requireService } from '../support/services.js';
import { megabytes, UnreadServerProcess } from '../support/unread-server-process.js';
import { tempDir } from '../support/temp-dir.js';

/*
 * The same client over AMQP (issue 15): 4 subscriptions of credit 100,000 over 100,000 events of
 * 1 KB, from a server in a process of its own. Over AMQP a client's frames wait in the broker,
 * in its reply queue, whether it reads them or not; what could pile up in the server is amqplib's
 * write buffer, when the server makes frames faster than the broker takes them (before: +450 MB
 * of the server's anonymous memory). The server stops publishing for a connection while that
 * buffer is full and it has added its bound to it, and goes on at amqplib's 'drain'.
 *
 * Growth is measured without mapped files (RssAnon): every event is read here, so every page of
 * lmdb's file is mapped in once (+100 MB of page cache in VmRSS, shared and reclaimable).
 */

const BROKER = 'amqp://127.0.0.1:5672';
const rabbitMq = await requireService('RabbitMQ', 5672);
const EVENTS = 100_000;
const SUBSCRIPTIONS = [
  { sub: 1, stream: 'load' },
  { sub: 2, stream: 'load' },
  { sub: 3, stream: 'load' },
  { sub: 4, stream: '$all' },
] as const;
const MOST_GROWTH = 100 * 1024 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.runIf(rabbitMq)('a client with large credit over AMQP', () => {
  let server: UnreadServerProcess | undefined;
  let connection: Connection | undefined;
  let removeDir: (() => Promise<void>) | undefined;
  afterEach(async () => {
    connection?.close();
    await connection?.closed;
    await server?.stop();
    await removeDir?.();
  });

  it('does not make the server hold what the broker has not taken yet, and gets every event once, in order', async () => {
    const dir = await tempDir('unread-amqp');
    removeDir = () => dir.remove();
    server = await UnreadServerProcess.start(dir.path, EVENTS, BROKER);
    await sleep(500);
    const before = await server.stats();

    const expected = new Map<number, number>(SUBSCRIPTIONS.map(({ sub }) => [sub, 1]));
    const completed = new Set<number>();
    const problems: string[] = [];
    let onWelcome: (() => void) | undefined;
    let onComplete: (() => void) | undefined;
    connection = await amqpTransport(BROKER, { service: server.address }).connect();
    connection.onFrame((bytes) => {
      const frame = msgpackCodec.decode(bytes) as ServerFrame;
      if (frame.type === 'welcome') {
        onWelcome?.();
      } else if (frame.type === 'events') {
        let next = expected.get(frame.sub)!;
        for (const event of frame.events) {
          if (event.seq !== next && problems.length < 5) problems.push(`sub ${frame.sub}: expected seq ${next}, got ${event.seq}`);
          next = event.seq + 1;
        }
        expected.set(frame.sub, next);
      } else if (frame.type === 'complete') {
        completed.add(frame.sub);
        if (completed.size === SUBSCRIPTIONS.length) onComplete?.();
      } else if (frame.type === 'error') {
        problems.push(`error: ${JSON.stringify(frame)}`);
      }
    });
    const welcomed = new Promise<void>((resolve) => (onWelcome = resolve));
    connection.send(msgpackCodec.encode({ type: 'hello', versions: [1] }));
    await welcomed;
    const allComplete = new Promise<void>((resolve) => (onComplete = resolve));
    for (const { sub, stream } of SUBSCRIPTIONS) {
      connection.send(msgpackCodec.encode({ type: 'subscribe', sub, stream, mode: 'cold', credit: 100_000 }));
    }

    let most = before;
    let done = false;
    void allComplete.then(() => (done = true));
    const until = Date.now() + 90_000;
    while (!done) {
      if (Date.now() > until) throw new Error(`not complete within 90 s: ${JSON.stringify([...expected])}`);
      await sleep(250);
      const now = await server.stats();
      if (now.rssAnon > most.rssAnon) most = now;
    }
    const growth = most.rssAnon - before.rssAnon;
    console.log(`over AMQP: server memory without mapped files grew by at most ${megabytes(growth)} (VmRSS ${megabytes(most.rss - before.rss)})`);
    expect(growth, `server RssAnon grew by ${megabytes(growth)}`).toBeLessThan(MOST_GROWTH);
    expect(problems).toEqual([]);
    for (const { sub } of SUBSCRIPTIONS) expect(expected.get(sub), `sub ${sub}`).toBe(EVENTS + 1);
  }, 180_000);
});
