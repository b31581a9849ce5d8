import assert from 'node:assert/strict';
import type { ConformanceCase } from '../kit/case.js';

/** Cases of SPEC.md sections 9 (keep-alive) and 10 (close codes), and 6.4.11-12 (ping, pong). */
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
];
