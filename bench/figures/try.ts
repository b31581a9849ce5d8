// Runs each of the latency, seek and memory figures once and prints what it measured.
// Run: npx tsx bench/figures/try.ts [name...]   (the server runs from dist/: npm run build first)
import { ackLatency } from './ack-latency.js';
import { fanOutLatency, liveLatency } from './live-latency.js';
import { seekTimeToFirstEvent } from './seek.js';
import { stalledSubscriberRssGrowth } from './stalled-rss.js';

const figures: Record<string, () => Promise<object>> = {
  ackLatency: () => ackLatency(),
  liveLatency: () => liveLatency(),
  fanOutLatency: () => fanOutLatency(),
  seekTimeToFirstEvent: () => seekTimeToFirstEvent(),
  stalledSubscriberRssGrowth: () => stalledSubscriberRssGrowth(),
};

const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !(name in figures));
if (unknown.length > 0) throw new Error(`unknown figures ${unknown.join(', ')}; they are ${Object.keys(figures).join(', ')}`);
for (const [name, run] of Object.entries(figures)) {
  if (chosen.length > 0 && !chosen.includes(name)) continue;
  const started = performance.now();
  const result = await run();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const rounded = JSON.stringify(result, (_, value: unknown) => (typeof value === 'number' ? Number(value.toFixed(2)) : value));
  console.log(`${name}: ${rounded} (${seconds} s)`);
}
