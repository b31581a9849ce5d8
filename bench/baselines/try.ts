// Runs each baseline once and prints its figure and how long the run took, to check the
// baselines by hand: npx tsx bench/baselines/try.ts
// (needs NATS with JetStream on 127.0.0.1:4222). `npm run bench` takes the medians.
import { jetStreamAsyncPublish, jetStreamOrderedReplay } from './jetstream-client.js';
import { rawLmdbAppend, rawLmdbRangeRead } from './raw-lmdb.js';
import { rawWsHundredEventFrames, rawWsOneEventFrames } from './raw-ws.js';

const baselines: [string, () => Promise<number>][] = [
  ['raw ws, one event a frame, 1,000 acks in flight', () => rawWsOneEventFrames()],
  ['raw ws, server to client, 100 events a frame', () => rawWsHundredEventFrames()],
  ['raw lmdb append, 1,000 events a transaction', () => rawLmdbAppend()],
  ['raw lmdb range read', () => rawLmdbRangeRead()],
  ['JetStream async publish, 1,000 in flight', () => jetStreamAsyncPublish()],
  ['JetStream ordered consumer replay', () => jetStreamOrderedReplay()],
];

let failed = false;
for (const [name, measure] of baselines) {
  const started = performance.now();
  try {
    const rate = await measure();
    const seconds = (performance.now() - started) / 1000;
    console.log(`${name}: ${Math.round(rate)} events/s (run took ${seconds.toFixed(1)} s)`);
  } catch (error) {
    failed = true;
    console.error(`${name}: failed:`, error);
  }
}
process.exitCode = failed ? 1 : 0;
