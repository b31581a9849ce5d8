import assert from 'node:assert/strict';
import type { ServerFrame } from '../../../protocol/frames.js';
import type { ConformanceCase } from '../kit/case.js';
import type { RawPeer } from '../raw-peer.js';

/** A token no server under test accepts. */
const UNKNOWN_TOKEN = 'tauon-conformance-unknown-token-0123456789';

/** Shows frames in an assertion message. */
function shown(frames: readonly ServerFrame[]): string {
  return JSON.stringify(frames).slice(0, 600);
}

/** Waits for the server to close the connection and asserts that it closed with 4001 and sent no frame of `types` meanwhile. */
async function closedWith4001(peer: RawPeer, what: string, absent: readonly string[] = []): Promise<void> {
  const info = await peer.waitClosed();
  assert.equal(info.code, 4001, `${what}: the server closes with 4001, closed with ${info.code} ${info.reason}`);
  const unexpected = peer.received.filter((frame) => absent.includes(frame.type));
  assert.deepEqual(unexpected, [], `${what}: no ${absent.join(' or ')} may be sent, got ${shown(peer.received)}`);
}

/** Cases of SPEC.md sections 3 (the codec), 6.3 (the handshake's order), 6.4.1 (`hello`), 6.5.1 (`welcome`) and 6.5.2 (`reject`). */
export const HANDSHAKE_CASES: readonly ConformanceCase[] = [
  {
    section: '6.5.1',
    title: 'hello is answered welcome naming version 1, a heartbeat, the server and limits',
    async run(kit) {
      const peer = await kit.connect();
      peer.send(kit.hello({ client: 'tauon-conformance' }));
      const welcome = await peer.expect('welcome');
      assert.equal(welcome.version, 1, `welcome.version is the highest version both speak, 1; got ${JSON.stringify(welcome)}`);
      assert.ok(welcome.heartbeat > 0, `welcome.heartbeat is a positive interval, got ${welcome.heartbeat}`);
      assert.ok(welcome.server.length > 0, 'welcome.server names the server');
      for (const limit of ['maxFrameBytes', 'maxEventsPerAppend', 'maxSubscriptions', 'maxCredit', 'maxReadLimit'] as const) {
        assert.ok(welcome.limits[limit] > 0, `welcome.limits.${limit} is a positive integer, got ${JSON.stringify(welcome.limits)}`);
      }
    },
  },
  {
    section: '6.4.1',
    title: 'the highest version in both lists is chosen, and unknown versions are ignored',
    async run(kit) {
      const peer = await kit.connect();
      peer.send(kit.hello({ versions: [99, 1, 7] }));
      const welcome = await peer.expect('welcome');
      assert.equal(welcome.version, 1, `a client speaking 99, 1 and 7 gets version 1 from a server of version 1, got ${JSON.stringify(welcome)}`);
    },
  },
  {
    section: '6.5.2',
    title: 'a hello with no common version is rejected unsupported-version, listing the versions the server speaks, then close 4001',
    async run(kit) {
      const peer = await kit.connect();
      peer.send(kit.hello({ versions: [99] }));
      const reject = await peer.expect('reject');
      assert.equal(reject.code, 'unsupported-version', `reject.code is unsupported-version, got ${JSON.stringify(reject)}`);
      assert.ok(reject.versions.includes(1), `reject.versions lists 1, got ${JSON.stringify(reject)}`);
      await closedWith4001(peer, 'after reject', ['welcome']);
    },
  },
  {
    section: '6.4.1',
    title: 'the version is checked before the token: no common version and no token, or an unknown one, is unsupported-version',
    async run(kit) {
      for (const token of [undefined, UNKNOWN_TOKEN]) {
        const peer = await kit.connect();
        peer.send({ type: 'hello', versions: [99], ...(token === undefined ? {} : { token }) });
        const reject = await peer.expect('reject');
        assert.equal(
          reject.code,
          'unsupported-version',
          `hello {versions:[99]} ${token === undefined ? 'without a token' : 'with an unknown token'} is unsupported-version (the version comes first), got ${JSON.stringify(reject)}`,
        );
        await closedWith4001(peer, 'after reject');
      }
    },
  },
  {
    section: '6.3',
    title: 'a first frame other than hello is a protocol error, then close 4001',
    async run(kit) {
      for (const frame of [{ type: 'info', id: 1 }, { type: 'ping', nonce: 1 }]) {
        const peer = await kit.connect();
        peer.send(frame);
        const error = await peer.expect('error');
        assert.equal(error.code, 'protocol', `a first ${frame.type} is answered protocol, got ${JSON.stringify(error)}`);
        await closedWith4001(peer, `after a first ${frame.type}`, ['server-info', 'pong', 'welcome']);
      }
    },
  },
  {
    section: '3',
    title: 'a client whose first frame is JSON is answered in JSON throughout',
    async run(kit) {
      const peer = await kit.open({ codec: 'json' });
      peer.send({ type: 'ping', nonce: 7 });
      assert.equal((await peer.expect('pong')).nonce, 7, 'a JSON ping is answered with a JSON pong carrying its nonce');
      assert.deepEqual(peer.invalid, [], 'every frame decodes as JSON');
    },
  },
  {
    section: '6.4.1',
    title: 'a second hello is a protocol error and the session stays open',
    async run(kit) {
      const peer = await kit.open();
      peer.send(kit.hello());
      const error = await peer.expect('error');
      assert.equal(error.code, 'protocol', `a second hello is answered protocol, got ${JSON.stringify(error)}`);
      await kit.roundTrip(peer);
      assert.equal(peer.closed, undefined, 'the connection stays open');
    },
  },
  {
    section: '6.3',
    title: 'hello and ping sent together: welcome, then pong',
    async run(kit) {
      for (const codec of ['msgpack', 'json'] as const) {
        const peer = await kit.connect(codec);
        peer.send(kit.hello());
        peer.send({ type: 'ping', nonce: 41 });
        const first = await peer.next();
        assert.equal(first.type, 'welcome', `(${codec}) the first answer is welcome, got ${JSON.stringify(first)}`);
        const pong = await peer.expect('pong');
        assert.equal(pong.nonce, 41, `(${codec}) the ping pipelined behind hello is answered after welcome, got ${JSON.stringify(pong)}`);
        assert.equal(peer.closed, undefined, `(${codec}) a frame before welcome does not close the connection`);
      }
    },
  },
  {
    section: '6.3',
    title: 'frames pipelined behind hello are taken after welcome, in the order sent',
    async run(kit) {
      const peer = await kit.connect();
      peer.send(kit.hello());
      const nonces = Array.from({ length: 20 }, (_, i) => 100 + i);
      for (const nonce of nonces) peer.send({ type: 'ping', nonce });
      peer.send({ type: 'info', id: 5 });
      await peer.expect('welcome');
      const pongs: (number | undefined)[] = [];
      for (const _ of nonces) pongs.push((await peer.expect('pong')).nonce);
      assert.deepEqual(pongs, nonces, 'the pings are answered in order, none lost');
      const info = await peer.expect('server-info', { id: 5 });
      assert.equal(info.version, 1, `the info pipelined behind hello is answered, got ${JSON.stringify(info)}`);
    },
  },
  {
    section: '6.3',
    title: 'an append and a read pipelined behind hello: welcome, the ack, and a page that holds the event',
    async run(kit) {
      const peer = await kit.connect();
      const stream = kit.stream('pipelined-hello');
      const [event] = kit.events(1);
      peer.send(kit.hello());
      peer.send({ type: 'append', id: 1, stream, events: [event] });
      peer.send({ type: 'read', id: 2, stream });
      await peer.expect('welcome');
      const ack = await peer.next((frame) => 'id' in frame && frame.id === 1);
      assert.equal(ack.type, 'appended', `the append pipelined behind hello is applied, got ${JSON.stringify(ack)}`);
      const page = await peer.expect('page', { id: 2 });
      assert.deepEqual(page.events.map((stored) => stored.id), [event!.id], `the read sees the append sent before it, got ${JSON.stringify(page)}`);
    },
  },
  {
    section: '6.3',
    title: 'a second hello pipelined behind the first is a protocol error after welcome, and the session stays open',
    async run(kit) {
      const peer = await kit.connect();
      peer.send(kit.hello());
      peer.send(kit.hello());
      peer.send({ type: 'ping', nonce: 3 });
      await peer.expect('welcome');
      const error = await peer.expect('error');
      assert.equal(error.code, 'protocol', `the second hello is answered protocol, got ${JSON.stringify(error)}`);
      assert.equal((await peer.expect('pong')).nonce, 3, 'the ping after it is answered: the session stays open');
    },
  },
  {
    section: '6.3',
    title: 'hello with no common version and a ping sent together: reject, close 4001, and no pong',
    async run(kit) {
      const peer = await kit.connect();
      peer.send(kit.hello({ versions: [99] }));
      peer.send({ type: 'ping', nonce: 5 });
      peer.send({ type: 'info', id: 6 });
      const reject = await peer.expect('reject');
      assert.equal(reject.code, 'unsupported-version', `the hello is rejected, got ${JSON.stringify(reject)}`);
      await closedWith4001(peer, 'frames pipelined behind a rejected hello are dropped', ['pong', 'server-info', 'welcome', 'error']);
    },
  },
  {
    section: '6.3',
    title: 'hello with an unknown token and an append sent together: reject unauthorized, close 4001, nothing applied',
    needs: ['authenticates'],
    async run(kit) {
      const peer = await kit.connect();
      const stream = kit.stream('rejected-pipeline');
      peer.send({ type: 'hello', versions: [1], token: UNKNOWN_TOKEN });
      peer.send({ type: 'append', id: 1, stream, events: kit.events(1) });
      peer.send({ type: 'ping', nonce: 8 });
      const reject = await peer.expect('reject');
      assert.equal(reject.code, 'unauthorized', `the hello is rejected unauthorized, got ${JSON.stringify(reject)}`);
      await closedWith4001(peer, 'frames pipelined behind a rejected hello are dropped', ['pong', 'appended', 'error', 'welcome']);
      const admin = await kit.open();
      const page = await kit.ask(admin, { type: 'read', stream });
      assert.deepEqual(page.type === 'page' && page.events, [], `the dropped append wrote nothing, got ${JSON.stringify(page)}`);
    },
  },
];
