/**
 * One member of a consumer group in a process of its own, for the chaos tests and the group
 * benchmarks (chaos-members.ts starts it): `client.process(group, selector, handler)` over
 * WebSocket, logging every handler's start and end to its own log file, so that what the member
 * did is on disk the moment it did it, whenever it is killed (appends with O_APPEND, one
 * `writeSync` per line: the kernel keeps a line once the call returns, SIGKILL or not).
 *
 * Log lines, space-separated, times in ms since the epoch with fractions (comparable across
 * processes), see chaos-log.ts:
 *   S member pid pos id key deliveries part gen time        a handler starts
 *   E member pid pos id key deliveries part gen time ok|fail a handler ends
 *   A member pid time parts                                 assigned (parts: part:gen[r],...)
 *   F member pid part gen time                               an ack or nack was fenced
 *   L member pid held time                                   the lease was lost (0) or confirmed (1)
 *   C member pid state time                                  the connection's state (connected, reconnecting, ...)
 *
 * The handler fails (throws) for the ids in `fail`, always, so that those events are parked after
 * `maxDeliveries`. On stdout: `ready` at the first `assigned`, `error MESSAGE` when the
 * subscription fails. SIGTERM unsubscribes (a clean leave), closes the client and exits 0; the end
 * of its stdin (the test's process gone) exits at once.
 *
 * Usage: node --import tsx test/groups/chaos-member.ts CONFIG_JSON (see MemberConfig)
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { connect, type ProcessOptions } from '../../client/index.js';
import { wsTransport } from '../../transports/ws/index.js';

/** What a member process is told, as one JSON argument. */
export interface MemberConfig {
  readonly url: string;
  readonly group: string;
  readonly selector: string;
  readonly member: string;
  /** The log file, appended to (one per member, kept across its restarts). */
  readonly log: string;
  /** Event ids whose handler always throws. */
  readonly fail?: readonly string[];
  /** How long each handler takes (a timer); 0: one turn of the event loop. */
  readonly workMs?: number;
  readonly options?: ProcessOptions;
}

const config = JSON.parse(process.argv[2] ?? 'null') as MemberConfig | null;
if (config === null) {
  process.stderr.write('usage: chaos-member.ts CONFIG_JSON\n');
  process.exit(64);
}
const fail = new Set(config.fail ?? []);
const workMs = config.workMs ?? 0;
const who = `${config.member} ${process.pid}`;
const fd = openSync(config.log, 'a');
const now = () => (performance.timeOrigin + performance.now()).toFixed(3);
const log = (line: string) => writeSync(fd, `${line}\n`);

const client = await connect(wsTransport(config.url), { waitOnFirstConnect: true, reconnect: { initialDelayMs: 50, maxDelayMs: 500 } });
client.status$.subscribe((status) => log(`C ${who} ${status.state} ${now()}`));
let ready = false;
const subscription = client
  .process(
    config.group,
    config.selector,
    async (event, context) => {
      const what = `${who} ${context.position} ${event.id} ${event.key ?? '-'} ${context.deliveries} ${context.part} ${context.gen}`;
      log(`S ${what} ${now()}`);
      // At least a turn of the event loop between start and end, so that a kill can land between them.
      await new Promise((resolve) => (workMs > 0 ? setTimeout(resolve, workMs) : setImmediate(resolve)));
      const failed = fail.has(event.id);
      log(`E ${what} ${now()} ${failed ? 'fail' : 'ok'}`);
      if (failed) throw new Error(`failing on purpose: ${event.id}`);
    },
    { ...config.options, member: config.member },
  )
  .subscribe({
    next: (item) => {
      switch (item.kind) {
        case 'assigned':
          log(`A ${who} ${now()} ${item.parts.map((p) => `${p.part}:${p.gen}${p.revoking ? 'r' : ''}`).join(',') || '-'}`);
          if (!ready) {
            ready = true;
            process.stdout.write('ready\n');
          }
          break;
        case 'fenced':
          log(`F ${who} ${item.part} ${item.gen} ${now()}`);
          break;
        case 'lease':
          log(`L ${who} ${item.held ? 1 : 0} ${now()}`);
          break;
        case 'handler-failed':
          break;
      }
    },
    error: (error: unknown) => {
      process.stdout.write(`error ${String(error).replace(/\n/g, ' ')}\n`);
      process.exit(1);
    },
  });

// Its stdin is a pipe from the test: when the test's process ends, however it ends, so does this.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

process.on('SIGTERM', () => {
  subscription.unsubscribe();
  // Unsubscribing lets the running handlers finish and be acknowledged, then leaves the group.
  setTimeout(() => {
    void client.close().finally(() => {
      closeSync(fd);
      process.exit(0);
    });
  }, 200);
});
