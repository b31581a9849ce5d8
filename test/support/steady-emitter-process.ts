/**
 * Another client, in a process of its own, for tests of fairness (steady-emitter.ts starts it):
 * it emits one event every INTERVAL ms to STREAM and prints, per ack, `ack SENT ACKED` (times in
 * ms since the epoch, with fractions: comparable across processes). In its own process its
 * acks are read the moment they arrive, whatever the test's client is busy with (decoding a
 * large answer, say). Prints `ready` once connected, `error MESSAGE` when an emit fails; ends
 * when its stdin closes.
 *
 * Usage: node --import tsx test/support/steady-emitter-process.ts URL STREAM INTERVAL
 */
import { connect } from '../../client/index.js';
import { wsTransport } from '../../transports/ws/index.js';

const [url, stream, intervalText] = process.argv.slice(2);
if (url === undefined || stream === undefined || intervalText === undefined) {
  process.stderr.write('usage: steady-emitter-process.ts URL STREAM INTERVAL\n');
  process.exit(64);
}
const now = () => performance.timeOrigin + performance.now();
const client = await connect(wsTransport(url));
const timer = setInterval(() => {
  const sent = now();
  client.emit(stream, { type: 'tick' }).then(
    () => process.stdout.write(`ack ${sent} ${now()}\n`),
    (error: unknown) => process.stdout.write(`error ${String(error).replace(/\n/g, ' ')}\n`),
  );
}, Number(intervalText));
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', () => {
  clearInterval(timer);
  void client.close().finally(() => process.exit(0));
});
