import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../../client/index.js';
import type { RunningServer } from '../../support/harness.js';

const HISTORY = 50_000;
const LIVE = 1000;
const CLOSES_DURING_REPLAY = 15;
const CLOSES_DURING_LIVE = 5;

/** The server closes every connection 20 times during a replay and live emits; nothing is lost or doubled. */
export function resumeSuite(label: string, start: () => Promise<RunningServer>): void {
  describe(`resume after the server closes the connection: ${label}`, () => {
    let running: RunningServer;
    let producer: Client;
    let consumer: Client;
    beforeEach(async () => {
      running = await start();
      const reconnect = { initialDelayMs: 5, maxDelayMs: 50 };
      producer = await connect(running.transport, { reconnect });
      consumer = await connect(running.transport, { reconnect });
    });
    afterEach(async () => {
      await producer.close();
      await consumer.close();
      await running.close();
    });

    it('the subscriber sees exactly 1..N and every emit lands once, across 20 server-side closes', async () => {
      for (let start = 0; start < HISTORY; start += 1000) {
        await producer.emit('journal', Array.from({ length: 1000 }, (_, i) => ({ type: 'Old', data: start + i + 1 })));
      }
      const total = HISTORY + LIVE;
      const seqs: number[] = [];
      let closes = 0;
      let finished: () => void = () => {};
      const allSeen = new Promise<void>((resolve) => (finished = resolve));
      const subscription = consumer.subscribe('journal', { mode: 'hot-cold' }).subscribe({
        next(event) {
          seqs.push(event.seq);
          // Close every connection at fixed points of the replay, from inside the delivery path.
          if (closes < CLOSES_DURING_REPLAY && seqs.length >= ((closes + 1) * HISTORY) / (CLOSES_DURING_REPLAY + 1)) {
            closes += 1;
            running.server.disconnectAll();
          }
          if (seqs.length === total) finished();
        },
      });
      const replayDeadline = Date.now() + 30_000;
      while (seqs.length < HISTORY && Date.now() < replayDeadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(seqs.length, 'the replay finished').toBeGreaterThanOrEqual(HISTORY);
      const ids: string[] = [];
      const emits: Promise<unknown>[] = [];
      for (let i = 0; i < LIVE; i += 1) {
        const id = `live-${i}`;
        ids.push(id);
        emits.push(producer.emit('journal', { id, type: 'New', data: HISTORY + i + 1 }));
        if (i % (LIVE / CLOSES_DURING_LIVE) === LIVE / CLOSES_DURING_LIVE / 2) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          closes += 1;
          running.server.disconnectAll();
        }
        if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await Promise.all(emits);
      await Promise.race([allSeen, new Promise((_, reject) => setTimeout(() => reject(new Error(`saw ${seqs.length} of ${total}`)), 30_000))]);
      subscription.unsubscribe();
      expect(closes).toBe(CLOSES_DURING_REPLAY + CLOSES_DURING_LIVE);
      expect(seqs.length).toBe(total);
      expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      const landed = new Map<string, number>();
      let from: { after: number } | 'start' = { after: HISTORY };
      for (let page = 0; page < 10; page += 1) {
        const result = await producer.read('journal', { from, limit: 1000 });
        for (const event of result.events) landed.set(event.id, (landed.get(event.id) ?? 0) + 1);
        if (result.next === null) break;
        from = result.next as { after: number };
      }
      expect(landed.size).toBe(LIVE);
      expect(ids.every((id) => landed.get(id) === 1)).toBe(true);
    }, 90_000);
  });
}
