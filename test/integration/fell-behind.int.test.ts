import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../protocol/frames.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { startServer, TRANSPORTS, type RunningServer } from '../support/harness.js';

const THRESHOLD = 20;

describe.each(TRANSPORTS)('a live subscriber that falls behind, over %s', (kind) => {
  let running: RunningServer;
  beforeEach(async () => {
    running = await startServer(kind, { behindThreshold: THRESHOLD });
  });
  afterEach(() => running.close());

  it('is told fell-behind past the threshold, then caught-up again once its credit lets it reach the head', async () => {
    const peer = await RawPeer.open(() => running.connect());
    const writer = await RawPeer.open(() => running.connect());
    peer.send({ type: 'subscribe', sub: 1, stream: 'busy', mode: 'hot-cold', credit: 5 });
    expect((await peer.expect('caught-up', { sub: 1 })).at).toBe(0);
    for (let i = 0; i < 4; i += 1) {
      writer.send({ type: 'append', id: i, stream: 'busy', events: Array.from({ length: 10 }, () => ({ type: 'Tick' })) });
      await writer.expect('appended', { id: i });
    }
    const behind = await peer.expect('fell-behind', { sub: 1 });
    expect(behind.at).toBe(5);
    const got: StoredEvent[] = [];
    peer.send({ type: 'credit', sub: 1, n: 100 });
    while (got.length < 40) got.push(...(await peer.expect('events', { sub: 1 })).events);
    expect(got.map((event) => event.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect((await peer.expect('caught-up', { sub: 1 })).at).toBe(40);
    expect(peer.received.filter((frame) => frame.type === 'fell-behind')).toHaveLength(1);
    peer.close();
    writer.close();
  });
});
