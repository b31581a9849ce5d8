/**
 * A group member process for group-client-zombie.int.test.ts, which stops it (SIGSTOP) past its
 * lease and continues it (SIGCONT). It connects over ws, processes the group's one partition with
 * a short lease, and prints one line per fact: `start SEQ GEN` and `done SEQ` for each handler,
 * and each status item (`assigned [parts]`, `lease true|false`, `fenced PART GEN`).
 *
 * Any uncaught exception or unhandled rejection is printed as `CRASH ...` and exits 2.
 *
 * Usage: node --import tsx test/integration/group-client-zombie-member.ts URL GROUP STREAM LEASE_MS
 */
import { connect } from '../../client/index.js';
import { wsTransport } from '../../transports/ws/index.js';

const [url, group, stream, leaseText] = process.argv.slice(2);
if (url === undefined || group === undefined || stream === undefined || leaseText === undefined) {
  process.stderr.write('usage: group-client-zombie-member.ts URL GROUP STREAM LEASE_MS\n');
  process.exit(64);
}

const line = (text: string): void => {
  process.stdout.write(`${text}\n`);
};
function crash(kind: string, error: unknown): never {
  line(`CRASH ${kind} ${error instanceof Error ? `${error.message} ${error.stack ?? ''}` : String(error)}`.replaceAll('\n', ' | '));
  process.exit(2);
}
process.on('uncaughtException', (error) => crash('uncaughtException', error));
process.on('unhandledRejection', (error) => crash('unhandledRejection', error));

const client = await connect(wsTransport(url), { reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
client
  .process(
    group,
    stream,
    async (event, context) => {
      line(`start ${event.seq} ${context.gen}`);
      await new Promise((resolve) => setTimeout(resolve, 40));
      line(`done ${event.seq}`);
    },
    { partitions: 1, leaseMs: Number(leaseText), member: `zombie-${process.pid}` },
  )
  .subscribe({
    next: (item) => {
      if (item.kind === 'assigned') line(`assigned ${JSON.stringify(item.parts.map((part) => [part.part, part.gen]))}`);
      else if (item.kind === 'lease') line(`lease ${item.held}`);
      else if (item.kind === 'fenced') line(`fenced ${item.part} ${item.gen}`);
    },
    error: (error: unknown) => line(`error ${(error as { code?: string }).code ?? String(error)}`),
  });
