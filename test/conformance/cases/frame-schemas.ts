import assert from 'node:assert/strict';
import type { ConformanceCase } from '../kit/case.js';

/**
 * SPEC.md 6.3 (validation) from the client's side: every frame the server sends matches its
 * schema (protocol/frames.ts). The runner checks it after every case as well; this case makes
 * the server send each kind of answer once, in both encodings.
 */
export const FRAME_SCHEMAS_CASES: readonly ConformanceCase[] = [
  {
    section: '6.3',
    title: 'every frame the server sends matches the protocol schemas, in msgpack and in JSON',
    async run(kit) {
      for (const codec of ['msgpack', 'json'] as const) {
        const peer = await kit.open({ codec });
        const { stream } = await kit.seeded(peer, 3, `schemas-${codec}`);
        for (const frame of [
          { type: 'info' },
          { type: 'read', stream, limit: 2 },
          { type: 'surface', stream },
          { type: 'streams', prefix: stream },
          { type: 'append', stream, events: [{ id: kit.eventId(), type: 'Checked', key: 'k', data: { nested: [1, 'two', null, true] } }] },
          { type: 'append', stream, events: [{ type: 'Checked' }], expected: 1 },
          { type: 'invalidate', stream, tx: 1, reason: 'checked' },
        ]) {
          await kit.ask(peer, frame);
        }
        peer.send({ type: 'subscribe', sub: 1, stream, mode: 'hot-cold', credit: 100 });
        await peer.expect('caught-up', { sub: 1 });
        peer.send({ type: 'teleport', id: 99 });
        await peer.expect('error', { id: 99 });
        await kit.roundTrip(peer);
        assert.deepEqual(peer.invalid, [], `SPEC 6.3: frames that fail the schemas came over ${codec}`);
      }
    },
  },
];
