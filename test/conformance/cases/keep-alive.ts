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
    title: 'silence: a ping after 1 interval (within 1.5), close 4000 after 3 (within 3.5), before the handshake too; any frame is a sign of life',
    async run(kit) {
      // Three connections at once, so that the case takes 3.5 intervals, not 10: one silent
      // after its handshake, one that never sends a frame, one that sends requests (never a pong).
      const silent = await kit.open();
      silent.answerPings = false;
      const mute = await kit.connect();
      const lively = await kit.open();
      lively.answerPings = false;
      const started = Date.now();
      const closedAt = (peer: typeof silent) => peer.waitClosed(3.5 * kit.heartbeatMs + 2 * SLACK_MS).then((info) => ({ info, ms: Date.now() - started }));
      const silentClosed = closedAt(silent);
      const muteClosed = closedAt(mute);
      const ping = await silent.expect('ping', {}, 2 * kit.heartbeatMs + SLACK_MS);
      const pinged = Date.now() - started;
      assert.ok(pinged <= 1.5 * kit.heartbeatMs + SLACK_MS, `a ping once one interval (${kit.heartbeatMs} ms) of silence passed, at most 1.5: came after ${pinged} ms`);
      assert.ok(ping.nonce === undefined || Number.isSafeInteger(ping.nonce), `a ping frame: ${JSON.stringify(ping)}`);
      // The lively peer sends a request every half interval until the silent ones are closed.
      let closedBoth = false;
      void Promise.all([silentClosed, muteClosed]).then(() => (closedBoth = true), () => (closedBoth = true));
      for (let sent = 0; !closedBoth && sent < 10; sent++) {
        lively.send({ type: 'info', id: lively.id() });
        await kit.sleep(kit.heartbeatMs / 2);
      }
      for (const [name, result] of [['silent after welcome', await silentClosed], ['never sent a frame', await muteClosed]] as const) {
        assert.equal(result.info.code, 4000, `${name}: closed with 4000, got ${result.info.code} ${result.info.reason}`);
        assert.ok(result.ms >= 3 * kit.heartbeatMs - SLACK_MS / 2, `${name}: not before 3 intervals (${3 * kit.heartbeatMs} ms) of silence, closed after ${result.ms} ms`);
      }
      assert.deepEqual(mute.received, [], 'nothing is sent before the first frame (SPEC 3), no ping either');
      assert.ok(Date.now() - started >= 3 * kit.heartbeatMs - SLACK_MS / 2, 'the lively peer was watched for 3 intervals');
      assert.equal(lively.closed, undefined, `a peer that sends frames (never a pong) is alive: ${JSON.stringify(lively.closed)}`);
      await kit.roundTrip(lively);
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
