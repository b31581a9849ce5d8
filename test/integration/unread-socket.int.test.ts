import { afterEach, describe, expect, it } from 'vitest';
import { msgpackCodec } from '../../protocol/msgpack-codec.js';
import type { ServerFrame } from '../../protocol/frames.js';
import { DEFAULT_MAX_BUFFERED_BYTES, SUBSCRIPTION_PAGE_SIZE } from '../../server-reference/limits.js';
import { RawWebSocket } from '../support/raw-websocket.js';
import { megabytes, UnreadServerProcess } from '../support/unread-server-process.js';
import { tempDir } from '../support/temp-dir.js';

/*
 * A client that grants large credit and then stops reading its TCP socket (issue 15): the server
 * must stop sending once the connection holds its bound of unsent bytes, not queue every event
 * the credit allows (before: +424 MB of server memory for 3 subscriptions, here 4). The server
 * is a real process (test/integration/unread-socket-server.ts) on lmdb; the client a WebSocket
 * written by hand over TCP, so that it can really stop reading. Once it reads again, every event
 * arrives once, in order.
 */

const EVENTS = 100_000;
const SUBSCRIPTIONS = [
  { sub: 1, stream: 'load' },
  { sub: 2, stream: 'load' },
  { sub: 3, stream: 'load' },
  { sub: 4, stream: '$all' },
] as const;
const CREDIT = 100_000;
/** The goal for the server's growth behind the unread socket. */
const MOST_GROWTH = 100 * 1024 * 1024;
/** The bound, and a page (about 1 KB an event) for each subscription that was reading when it was reached. */
const MOST_UNSENT = DEFAULT_MAX_BUFFERED_BYTES + SUBSCRIPTIONS.length * SUBSCRIPTION_PAGE_SIZE * 1100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a client that stops reading its socket', () => {
  let server: UnreadServerProcess | undefined;
  let socket: RawWebSocket | undefined;
  let removeDir: (() => Promise<void>) | undefined;
  afterEach(async () => {
    socket?.close();
    await server?.stop();
    await removeDir?.();
  });

  it('costs the server its bound of unsent bytes, not its credit, and then gets every event once, in order', async () => {
    const dir = await tempDir('unread-socket');
    removeDir = () => dir.remove();
    server = await UnreadServerProcess.start(dir.path, EVENTS);
    await sleep(500);
    const before = await server.stats();

    const expected = new Map<number, number>(SUBSCRIPTIONS.map(({ sub }) => [sub, 1]));
    const completed = new Set<number>();
    const problems: string[] = [];
    let onComplete: (() => void) | undefined;
    let onWelcome: (() => void) | undefined;
    socket = await RawWebSocket.open(server.address, (payload) => {
      const frame = msgpackCodec.decode(payload) as ServerFrame;
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
    socket.send(msgpackCodec.encode({ type: 'hello', versions: [1] }));
    await welcomed;
    // Stops reading before the server has anything more to send.
    socket.pause();
    for (const { sub, stream } of SUBSCRIPTIONS) {
      socket.send(msgpackCodec.encode({ type: 'subscribe', sub, stream, mode: 'cold', credit: CREDIT }));
    }

    // Until the server has stopped: its connection over the bound and no longer growing.
    let most = before;
    let previous = -1;
    const until = Date.now() + 30_000;
    for (;;) {
      await sleep(500);
      const now = await server.stats();
      if (now.rss > most.rss) most = now;
      const unsent = now.buffered[0] ?? 0;
      if ((unsent > DEFAULT_MAX_BUFFERED_BYTES && unsent === previous) || Date.now() > until) break;
      previous = unsent;
    }
    const stopped = await server.stats();
    const growth = most.rss - before.rss;
    console.log(
      `behind the unread socket: server RSS grew by at most ${megabytes(growth)} (anonymous ${megabytes(most.rssAnon - before.rssAnon)}), ` +
        `${megabytes(stopped.buffered[0] ?? 0)} unsent in the connection`,
    );
    expect(stopped.buffered[0], 'the server reached the bound and stopped there').toBeGreaterThan(DEFAULT_MAX_BUFFERED_BYTES);
    expect(stopped.buffered[0]).toBeLessThan(MOST_UNSENT);
    expect(growth, `server RSS grew by ${megabytes(growth)}`).toBeLessThan(MOST_GROWTH);

    const allComplete = new Promise<void>((resolve) => (onComplete = resolve));
    socket.resume();
    await Promise.race([
      allComplete,
      sleep(90_000).then(() => {
        throw new Error(`not complete within 90 s: ${JSON.stringify([...expected])}`);
      }),
    ]);
    expect(socket.error).toBeUndefined();
    expect(problems).toEqual([]);
    for (const { sub } of SUBSCRIPTIONS) expect(expected.get(sub), `sub ${sub}`).toBe(EVENTS + 1);
  }, 180_000);
});
