/**
 * A client process for stopped-process.int.test.ts, which stops it (SIGSTOP) past the server's
 * heartbeat timeout and continues it (SIGCONT). It connects over ws, follows one stream and
 * prints one line per fact: `progress N`, `status STATE[#ATTEMPT] (WHY)`, `emitted N`, `done N`.
 *
 * Any uncaught exception or unhandled rejection is printed as `CRASH ...` and exits 2, so that a
 * client that would crash its host is seen as such; an event out of order or twice is printed as
 * `ORDER ...` and exits 3. It subscribes without an error callback, as many users do: an error
 * the library produced on its own would then crash the process.
 *
 * Usage: node --import tsx test/client/stopped-consumer.ts URL STREAM TOTAL MODE [PREFETCH]
 * - `replay`: a cold Observable replay of TOTAL events; exits 0 once it completes with all.
 * - `iterate`: the same replay through the async iterator.
 * - `follow`: a hot-cold feed; once it has caught up (`caught-up AT`) the client emits 300
 *   events of its own to `STREAM-own-PID`, four in flight at a time, over about 3 s; exits 0
 *   once it has seen TOTAL events of STREAM and every one of its emits was acknowledged, in order.
 */
import { connect } from '../../client/index.js';
import type { FeedItem } from '../../client/index.js';
import type { StoredEvent } from '../../protocol/frames.js';
import { wsTransport } from '../../transports/ws/index.js';

const [url, stream, totalText, mode, prefetchText] = process.argv.slice(2);
if (url === undefined || stream === undefined || totalText === undefined || !['replay', 'iterate', 'follow'].includes(mode ?? '')) {
  process.stderr.write('usage: stopped-consumer.ts URL STREAM TOTAL replay|iterate|follow [PREFETCH]\n');
  process.exit(64);
}
const total = Number(totalText);
const OWN_EMITS = 300;

const line = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

function crash(kind: string, error: unknown): never {
  const text =
    error instanceof Error
      ? `${error.name} [${(error as { code?: string }).code ?? ''}]: ${error.message} ${error.stack ?? ''}`
      : String(error);
  line(`CRASH ${kind} ${text.replaceAll('\n', ' | ')}`);
  process.exit(2);
}
process.on('uncaughtException', (error) => crash('uncaughtException', error));
process.on('unhandledRejection', (error) => crash('unhandledRejection', error));

const client = await connect(wsTransport(url), {
  // Quick redials, so that a test stopping the process several times stays short.
  reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
  prefetch: prefetchText === undefined ? 500 : Number(prefetchText),
});
client.status$.subscribe((status) => {
  const why = status.error === undefined ? '' : ` (${status.error.message})`;
  line(`status ${status.state}${status.attempt > 0 ? `#${status.attempt}` : ''}${why}`);
});

let received = 0;
let lastSeq = 0;
let emitsDone = mode !== 'follow';
let finished = false;

async function finish(): Promise<void> {
  if (finished) return;
  finished = true;
  await client.close();
  line(`done ${received}`);
  process.exit(0);
}

function take(event: StoredEvent): void {
  if (event.seq !== lastSeq + 1) {
    line(`ORDER expected seq ${lastSeq + 1}, got ${event.seq}`);
    process.exit(3);
  }
  lastSeq = event.seq;
  received += 1;
  if (received % 500 === 0 || received === total) line(`progress ${received}`);
  if (mode === 'follow' && received === total && emitsDone) void finish();
}

if (mode === 'iterate') {
  // Not awaited here, so that the emits below (none in this mode) would not wait on it.
  void (async () => {
    for await (const event of client.iterate(stream, { mode: 'cold', from: 'start' })) take(event);
    await finish();
  })();
} else if (mode === 'replay') {
  client.replay(stream, { from: 'start' }).subscribe({ next: take, complete: () => void finish() });
} else {
  let emitting = false;
  client.feed(stream, { from: 'start' }).subscribe((item: FeedItem) => {
    if (item.kind === 'event') {
      take(item.event);
    } else if (item.kind === 'caught-up' && !emitting) {
      emitting = true;
      line(`caught-up ${item.at}`);
      void emitOwn();
    }
  });
}

/** Emits of its own while it follows live; an emit that fails rejects and crashes this script, on purpose. */
async function emitOwn(): Promise<void> {
  const own = `${stream}-own-${process.pid}`;
  let acked = 0;
  for (let n = 0; n < OWN_EMITS; n += 4) {
    const acks = await Promise.all([0, 1, 2, 3].map((i) => client.emit(own, { type: 'Own', id: `own-${process.pid}-${n + i}`, data: { n: n + i } })));
    for (const ack of acks) {
      acked += 1;
      if (ack.seq !== acked) {
        line(`ORDER own emit ${acked} acked at seq ${ack.seq}`);
        process.exit(3);
      }
    }
    if (acked % 20 === 0) line(`emitted ${acked}`);
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
  emitsDone = true;
  if (received === total) await finish();
}
