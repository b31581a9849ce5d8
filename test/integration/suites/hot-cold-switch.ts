import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../../client/index.js';
import type { StoredEvent } from '../../../protocol/frames.js';
import type { RunningServer } from '../../support/harness.js';

const TOTAL = 6000;
const BATCH = 20;

/** The switch from history to live while another client appends: exactly 1..N, no gap, no duplicate. */
export function hotColdSwitchSuite(label: string, start: () => Promise<RunningServer>): void {
  describe(`the switch from history to live: ${label}`, () => {
    let running: RunningServer;
    let producer: Client;
    let consumer: Client;
    beforeEach(async () => {
      running = await start();
      producer = await connect(running.transport);
      consumer = await connect(running.transport, { prefetch: 200 });
    });
    afterEach(async () => {
      await producer.close();
      await consumer.close();
      await running.close();
    });

    it('delivers exactly 1..N while another client appends the whole time', async () => {
      let appended = 0;
      let subscribed = false;
      const seen: StoredEvent[] = [];
      let signalDone: () => void = () => {};
      const done = new Promise<void>((resolve) => (signalDone = resolve));
      const produce = (async () => {
        while (appended < TOTAL) {
          const batch = Array.from({ length: BATCH }, (_, i) => ({ type: 'Tick', data: appended + i + 1 }));
          await producer.emit('ticks', batch);
          appended += BATCH;
          // Subscribe in the middle of the stream, while appends keep coming.
          if (!subscribed && appended >= TOTAL / 4) {
            subscribed = true;
            consumer.subscribe('ticks', { mode: 'hot-cold' }).subscribe((event) => {
              seen.push(event);
              if (seen.length === TOTAL) signalDone();
            });
          }
        }
      })();
      await produce;
      await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`saw ${seen.length} of ${TOTAL}`)), 20_000))]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(seen.length).toBe(TOTAL);
      expect(seen.map((event) => event.seq)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
      expect(seen.map((event) => event.data)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    });
  });
}
