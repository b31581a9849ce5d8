import assert from 'node:assert/strict';
import type { ConformanceCase } from '../kit/case.js';

/*
 * Cases of SPEC.md sections 9 (keep-alive) and 10 (close codes), and 6.4.11-12 (ping, pong).
 * The waits are in heartbeat intervals (`kit.heartbeatMs`, announced in welcome): the kit adds
 * four intervals to every case's bound.
 */

/** Slack on timing rules: timers fire late on a busy machine, and a server checks silence at some granularity. */
const SLACK_MS = 1000;

export const KEEP_ALIVE_CASES: readonly ConformanceCase[] = [
  {
    section: '6.4.11',
    title: 'ping is answered pong with the same nonce, or none when it had none',
    async run(kit) {
      for (const codec of ['msgpack', 'json'] as const) {
        const peer = await kit.open({ codec });
        peer.send({ type: 'ping', nonce: 99 });
        assert.equal((await peer.expect('pong')).nonce, 99);
        peer.send({ type: 'ping' });
        const pong = await peer.expect('pong');
        assert.equal('nonce' in pong, false, `a pong without nonce, got ${JSON.stringify(pong)}`);
      }
    },
  },
  {
    section: '6.4.12',
    title: 'a pong is not answered, and a pong nobody asked for is harmless',
    async run(kit) {
      const peer = await kit.open();
      peer.send({ type: 'pong', nonce: 12345 });
      peer.send({ type: 'pong' });
      await kit.roundTrip(peer);
      assert.deepEqual(peer.pending().filter((frame) => frame.type !== 'ping'), [], `nothing answers a pong: ${JSON.stringify(peer.pending())}`);
    },
  },
  {
    section: '9',
    title: 'the server pings a peer to which it sent nothing for one interval (within 1.5)',
    async run(kit) {
      const peer = await kit.open();
      peer.answerPings = false;
      const started = Date.now();
      const ping = await peer.expect('ping', {}, 2 * kit.heartbeatMs + SLACK_MS);
      const waited = Date.now() - started;
      assert.ok(waited <= 1.5 * kit.heartbeatMs + SLACK_MS, `a ping once one interval (${kit.heartbeatMs} ms) of silence passed, at most 1.5: came after ${waited} ms`);
      // Answer it, as a peer must, and the next one comes too.
      peer.send({ type: 'pong', ...(ping.nonce === undefined ? {} : { nonce: ping.nonce }) });
      await peer.expect('ping', {}, 2 * kit.heartbeatMs + SLACK_MS);
    },
  },
  {
    section: '9',
    title: 'a peer silent for 3 intervals is closed with 4000, not before (and within 3.5)',
    async run(kit) {
      const peer = await kit.open();
      peer.answerPings = false;
      const started = Date.now();
      const closed = await peer.waitClosed(3.5 * kit.heartbeatMs + 2 * SLACK_MS);
      const waited = Date.now() - started;
      assert.equal(closed.code, 4000, `a silent peer is closed with 4000, got ${closed.code} ${closed.reason}`);
      assert.ok(waited >= 3 * kit.heartbeatMs - SLACK_MS / 2, `not before 3 intervals of silence (${3 * kit.heartbeatMs} ms): closed after ${waited} ms`);
      assert.ok(peer.received.some((frame) => frame.type === 'ping'), 'the server pinged it meanwhile');
    },
  },
  {
    section: '9',
    title: 'any frame counts as a sign of life, not only pong',
    async run(kit) {
      const peer = await kit.open();
      peer.answerPings = false;
      // Requests, never a pong, every half interval for 4 intervals: the peer is alive.
      const until = Date.now() + 4 * kit.heartbeatMs;
      while (Date.now() < until) {
        peer.send({ type: 'info', id: peer.id() });
        await kit.sleep(kit.heartbeatMs / 2);
        assert.equal(peer.closed, undefined, `a peer that sends frames is alive, closed: ${JSON.stringify(peer.closed)}`);
      }
    },
  },
  {
    section: '9',
    title: 'a connection that sends no first frame is closed with 4000 after 3 intervals (within 3.5), sent nothing before',
    async run(kit) {
      const peer = await kit.connect();
      const started = Date.now();
      const closed = await peer.waitClosed(3.5 * kit.heartbeatMs + 2 * SLACK_MS);
      const waited = Date.now() - started;
      assert.equal(closed.code, 4000, `got ${closed.code} ${closed.reason}`);
      assert.ok(waited >= 3 * kit.heartbeatMs - SLACK_MS / 2, `not before 3 intervals (${3 * kit.heartbeatMs} ms): closed after ${waited} ms`);
      assert.deepEqual(peer.received, [], 'the server sends nothing before the first frame (SPEC 3), no ping either');
    },
  },
  {
    section: '10',
    title: 'undecodable bytes: bad-frame, then close 4002, and only that connection closes',
    async run(kit) {
      const other = await kit.open();
      for (const codec of ['msgpack', 'json'] as const) {
        const peer = await kit.open({ codec });
        peer.sendBytes(codec === 'msgpack' ? new Uint8Array([0x82, 0xa4, 0x74, 0x79, 0x70, 0x65]) : new TextEncoder().encode('{"type":"ping",'));
        const closed = await peer.waitClosed();
        const error = peer.received.find((frame) => frame.type === 'error');
        assert.equal(error?.code, 'bad-frame', `${codec}: the error that says why comes first: ${JSON.stringify(peer.received)}`);
        assert.equal(closed.code, 4002, `${codec}: close 4002, got ${closed.code}`);
      }
      const before = await kit.connect();
      before.sendBytes(new Uint8Array([0xc1]));
      const beforeClosed = await before.waitClosed();
      assert.equal(beforeClosed.code, 4002, `before the handshake too: ${JSON.stringify(beforeClosed)} after ${JSON.stringify(before.received)}`);
      await kit.roundTrip(other);
    },
  },
  {
    section: '10',
    title: 'a refused hello: reject, then close 4001',
    async run(kit) {
      const peer = await kit.connect();
      peer.send(kit.hello({ versions: [99, 100] }));
      const reject = await peer.expect('reject');
      assert.equal(reject.code, 'unsupported-version', JSON.stringify(reject));
      assert.ok(reject.versions?.includes(1), `reject lists the versions the server speaks: ${JSON.stringify(reject)}`);
      assert.equal((await peer.waitClosed()).code, 4001, 'close 4001 after reject');
    },
  },
];
