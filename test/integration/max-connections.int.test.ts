import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { HandshakeRejectedError } from '../../client/errors.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { startServer, TRANSPORTS, type RunningServer } from '../support/harness.js';

/*
 * maxConnections: one connection more than the server serves is refused at its hello with
 * `reject {code: "overloaded"}` and a close 4001 (SPEC 6.5.2, 8), which the client takes as
 * retriable; once a connection closes, a new one is served.
 */

for (const kind of TRANSPORTS) {
  describe(`maxConnections over ${kind}`, () => {
    let running: RunningServer;
    beforeAll(async () => {
      running = await startServer(kind, { maxConnections: 2 });
    });
    afterAll(() => running.close());

    for (const codec of ['msgpack', 'json'] as const) {
      it(`${codec}: refuses the connection beyond the maximum with reject overloaded, then serves again when one closes`, async () => {
        const first = await RawPeer.open(() => running.connect(), { codec });
        const second = await RawPeer.open(() => running.connect(), { codec });
        const third = new RawPeer(await running.connect(), first.codec);
        third.send({ type: 'hello', versions: [1] });
        const reject = await third.expect('reject');
        expect(reject).toMatchObject({ code: 'overloaded', versions: [1] });
        expect(reject.message).toContain('at most 2 connections');
        expect((await third.waitClosed()).code).toBe(4001);
        // The two served go on.
        first.send({ type: 'ping', nonce: 1 });
        expect((await first.expect('pong')).nonce).toBe(1);
        second.close();
        await second.waitClosed();
        await expect.poll(() => running.server.connectionCount, { timeout: 5_000 }).toBe(1);
        const fourth = await RawPeer.open(() => running.connect(), { codec });
        fourth.send({ type: 'ping', nonce: 2 });
        expect((await fourth.expect('pong')).nonce).toBe(2);
        first.close();
        fourth.close();
        await expect.poll(() => running.server.connectionCount, { timeout: 5_000 }).toBe(0);
      });
    }

    it('makes the client fail with a retriable HandshakeRejectedError, and a waiting client get in once there is room', async () => {
      const holders = [await RawPeer.open(() => running.connect()), await RawPeer.open(() => running.connect())];
      const refused = await connect(running.transport, { reconnect: { enabled: false } }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(HandshakeRejectedError);
      expect((refused as HandshakeRejectedError).code).toBe('overloaded');
      expect((refused as HandshakeRejectedError).retriable).toBe(true);
      const waiting = connect(running.transport, { waitOnFirstConnect: true, reconnect: { delay: () => 50 } });
      await new Promise((resolve) => setTimeout(resolve, 200));
      holders[0]!.close();
      const client = await waiting;
      expect((await client.info()).limits.maxFrameBytes).toBeGreaterThan(0);
      await client.close();
      holders[1]!.close();
    });
  });
}
