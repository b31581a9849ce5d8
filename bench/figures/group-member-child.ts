/**
 * One member of a consumer group in a process of its own, for the group figures
 * (group-figures.ts starts it): it connects, then on `go` (a line on stdin) joins the group and
 * acknowledges every event as it is delivered, one `ack()` per event (`consume` mode), or runs
 * an empty handler per event (`process` mode: acknowledged when it resolves). On `leave` it
 * unsubscribes (a clean leave). Prints, times in ms since the epoch with fractions:
 *   ready                   connected
 *   assigned TIME PARTS     its partitions changed (PARTS: part:gen,... or -)
 *   first PART GEN TIME     the first delivery of a partition at a generation
 *   error MESSAGE
 *
 * Usage: node --import tsx bench/figures/group-member-child.ts URL GROUP SELECTOR MEMBER consume|process
 */
import type { Subscription } from 'rxjs';
import { connect } from '../../client/index.js';
import { wsTransport } from '../../transports/ws/index.js';

const [url, group, selector, member, mode] = process.argv.slice(2);
if (url === undefined || group === undefined || selector === undefined || member === undefined || (mode !== 'consume' && mode !== 'process')) {
  process.stderr.write('usage: group-member-child.ts URL GROUP SELECTOR MEMBER consume|process\n');
  process.exit(64);
}
const now = () => (performance.timeOrigin + performance.now()).toFixed(3);
const out = (line: string) => process.stdout.write(`${line}\n`);
const client = await connect(wsTransport(url));
/** The generation of each partition that delivered already (checked per event: kept cheap). */
const seen = new Map<number, number>();
const first = (part: number, gen: number) => {
  if (seen.get(part) === gen) return;
  seen.set(part, gen);
  out(`first ${part} ${gen} ${now()}`);
};
const assigned = (parts: readonly { part: number; gen: number }[]) => out(`assigned ${now()} ${parts.map((p) => `${p.part}:${p.gen}`).join(',') || '-'}`);
const failed = (error: unknown) => out(`error ${String(error).replace(/\n/g, ' ')}`);
const options = { member, prefetch: 5_000, maxUnacked: 10_000 };

function join(): Subscription {
  if (mode === 'process') {
    return client
      .process(
        group!,
        selector!,
        (_event, context) => {
          first(context.part, context.gen);
        },
        { ...options, concurrency: 64 },
      )
      .subscribe({
        next: (item) => {
          if (item.kind === 'assigned') assigned(item.parts);
        },
        error: failed,
      });
  }
  return client.consumeFeed(group!, selector!, options).subscribe({
    next: (item) => {
      if (item.kind === 'delivery') {
        first(item.delivery.part, item.delivery.gen);
        item.delivery.ack();
      } else if (item.kind === 'assigned') {
        assigned(item.parts);
      }
    },
    error: failed,
  });
}

let subscription: Subscription | undefined;
let input = '';
process.stdin.on('data', (chunk: Buffer) => {
  input += chunk.toString();
  const lines = input.split('\n');
  input = lines.pop()!;
  for (const line of lines) {
    if (line === 'go') subscription ??= join();
    else if (line === 'leave') subscription?.unsubscribe();
  }
});
process.stdin.on('end', () => {
  subscription?.unsubscribe();
  void client.close().finally(() => process.exit(0));
});
out('ready');
