import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import type { ConformanceCase } from '../kit/case.js';
import type { KitContext } from '../kit/context.js';

/** Cases of SPEC.md 15.1, the WebSocket binding: the upgrade itself (origin, path) and text messages. */

/** An origin no server under test allows: `.invalid` is reserved and never resolves. */
export const DISALLOWED_ORIGIN = 'https://disallowed.invalid';

/** How an upgrade request ended: the HTTP status of a refusal, or "open" with the frames received before it was closed. */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number | 'open'; messages: number }> {
  return new Promise((resolve, reject) => {
    let messages = 0;
    const socket = new WebSocket(url, { headers });
    socket.on('message', () => (messages += 1));
    socket.on('open', () => {
      socket.close();
      resolve({ status: 'open', messages });
    });
    socket.on('unexpected-response', (_request, response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, messages });
    });
    socket.on('error', reject);
  });
}

/** The server's WebSocket URL with `path` (and query) in place of its own. */
function withPath(kit: KitContext, path: string): string {
  const url = new URL(kit.server.webSocketUrl!());
  const [pathname, search] = path.split('?');
  url.pathname = pathname!;
  url.search = search === undefined ? '' : `?${search}`;
  return url.toString();
}

/** The cases about the upgrade request: they need nothing but the server's WebSocket URL. */
export const WEBSOCKET_UPGRADE_CASES: readonly ConformanceCase[] = [
  {
    section: '15.1',
    title: 'an upgrade from a page whose origin is not allowed is refused with 403, before any frame',
    needs: ['websocket'],
    async run(kit) {
      const result = await upgrade(kit.server.webSocketUrl!(), { Origin: DISALLOWED_ORIGIN });
      assert.deepEqual(result, { status: 403, messages: 0 }, `Origin ${DISALLOWED_ORIGIN}: 403 and no frame`);
    },
  },
  {
    section: '15.1',
    title: 'an upgrade without an Origin header is accepted',
    needs: ['websocket'],
    async run(kit) {
      assert.equal((await upgrade(kit.server.webSocketUrl!())).status, 'open', 'a client that is not a browser sends no Origin');
    },
  },
  {
    section: '15.1',
    title: 'an upgrade to a path other than / is refused with 404; the query string is ignored',
    needs: ['websocket'],
    async run(kit) {
      for (const path of ['/other', '/other?x=1', '/tauon', '//', '/%2F']) {
        const result = await upgrade(withPath(kit, path));
        assert.deepEqual(result, { status: 404, messages: 0 }, `an upgrade to ${path}: 404 before the upgrade`);
      }
      assert.equal((await upgrade(withPath(kit, '/?token=x&y=2'))).status, 'open', 'the path / with a query string is the endpoint');
    },
  },
];

export const WEBSOCKET_CASES: readonly ConformanceCase[] = [
  ...WEBSOCKET_UPGRADE_CASES,
  {
    section: '15.1',
    title: 'text messages are JSON frames; after a first text message the server answers in text messages',
    needs: ['websocket'],
    async run(kit) {
      const socket = new WebSocket(kit.server.webSocketUrl!());
      const received: { binary: boolean; text: string }[] = [];
      const arrival = (count: number) =>
        new Promise<void>((resolve, reject) => {
          const deadline = Date.now() + 5000;
          const check = setInterval(() => {
            if (received.length >= count) resolve();
            else if (Date.now() > deadline) reject(new Error(`${count} messages expected within 5 s; got ${JSON.stringify(received)}`));
            else return;
            clearInterval(check);
          }, 10);
        });
      try {
        await new Promise<void>((resolve, reject) => {
          socket.on('open', () => resolve());
          socket.on('error', reject);
        });
        socket.on('message', (data: Buffer, binary: boolean) => received.push({ binary, text: data.toString('utf8') }));
        socket.send(JSON.stringify(kit.hello()), { binary: false });
        await arrival(1);
        // A later text frame, with whitespace before its {, and a binary one: both JSON.
        socket.send(' {"type":"ping","nonce":8}', { binary: false });
        socket.send(Buffer.from('{"type":"ping","nonce":9}'), { binary: true });
        await arrival(3);
      } finally {
        socket.close();
      }
      const frames = received.map((message) => JSON.parse(message.text) as { type: string; nonce?: number });
      assert.deepEqual(frames.map((frame) => [frame.type, frame.nonce]), [['welcome', undefined], ['pong', 8], ['pong', 9]], 'a text hello is a JSON hello: welcome, then the pongs, in JSON');
      assert.deepEqual(received.map((message) => message.binary), [false, false, false], 'after a first text message, every frame comes as a text message');
    },
  },
];
