/**
 * A member of a consumer group in a process of its own, for the effectively-once test: for each
 * order it emits one invoice whose id is derived from the order's id, then returns (and the
 * order is acknowledged). Killed at any moment, a redelivered order emits the same id again,
 * which the store takes as the duplicate it is. Prints `ready` once it holds partitions.
 *
 * Usage: node --import tsx test/groups/derive-member-process.ts URL GROUP MEMBER
 */
import { connect } from '../../client/index.js';
import { wsTransport } from '../../transports/ws/index.js';

const [url, group, member] = process.argv.slice(2);
if (url === undefined || group === undefined || member === undefined) {
  process.stderr.write('usage: derive-member-process.ts URL GROUP MEMBER\n');
  process.exit(64);
}
const client = await connect(wsTransport(url));
let ready = false;
client
  .process(
    group,
    'orders.*',
    async (event) => {
      await client.emit('invoices', { id: `invoice-of-${event.id}`, type: 'invoiced', key: event.key ?? event.stream, data: { order: event.id } });
      // A little work, so that kills land between an emit and its order's ack.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2));
    },
    { member, concurrency: 8, leaseMs: 2000 },
  )
  .subscribe({
    next: (item) => {
      if (!ready && item.kind === 'assigned') {
        ready = true;
        process.stdout.write('ready\n');
      }
    },
    error: (error: unknown) => {
      process.stderr.write(`processor ended: ${String(error)}\n`);
      process.exit(1);
    },
  });
