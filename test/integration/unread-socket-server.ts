/**
 * A server process for unread-socket.int.test.ts: a reference server on an lmdb store in DIR,
 * filled with EVENTS events of about 1 KB in the stream `load`, serving ws on 127.0.0.1 port 0
 * with a heartbeat long enough that a client may stay silent through the test. It prints
 * `listening URL` once it serves, then answers each line `stats` on stdin with one line
 * `stats {"rss":..,"rssAnon":..,"heapUsed":..,"buffered":[..]}`: its resident memory (VmRSS,
 * and RssAnon without lmdb's file pages) from /proc, and the unsent bytes of each connection.
 *
 * Usage: node --import tsx test/integration/unread-socket-server.ts DIR EVENTS [MAX_BUFFERED_BYTES]
 * (MAX_BUFFERED_BYTES `none` turns the bound off, to measure what it saves). With TAUON_AMQP_URL
 * set it serves on that broker instead, and prints `listening SERVICE`.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { TauonServer } from '../../server-reference/server.js';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import type { Connection, ServerTransport } from '../../transports/transport.js';
import { listenWs } from '../../transports/ws/index.js';

const [dir, eventsText, boundText] = process.argv.slice(2);
if (dir === undefined || eventsText === undefined) {
  process.stderr.write('usage: unread-socket-server.ts DIR EVENTS [MAX_BUFFERED_BYTES|none]\n');
  process.exit(64);
}
const events = Number(eventsText);
const maxBufferedBytes = boundText === undefined ? undefined : boundText === 'none' ? Number.POSITIVE_INFINITY : Number(boundText);

/** The connections the server accepted, to report their unsent bytes. */
class CountingTransport implements ServerTransport {
  readonly connections = new Set<Connection>();
  constructor(private readonly inner: ServerTransport) {}
  listen(onConnection: (connection: Connection) => void): Promise<void> {
    return this.inner.listen((connection) => {
      this.connections.add(connection);
      void connection.closed.then(() => this.connections.delete(connection));
      onConnection(connection);
    });
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A field of /proc/self/status in bytes (it says kB). */
function procStatus(field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return match === null ? Number.NaN : Number(match[1]) * 1024;
}

const store = await LmdbStore.open(dir);
const server = new TauonServer({
  store,
  heartbeatMs: 600_000,
  ...(maxBufferedBytes === undefined ? {} : { maxBufferedBytes }),
});
const payload = 'x'.repeat(1000);
for (let start = 0; start < events; start += 1000) {
  const count = Math.min(1000, events - start);
  const answer = await server.request({
    type: 'append',
    id: 0,
    stream: 'load',
    events: Array.from({ length: count }, (_, i) => ({ type: 'Load', data: { n: start + i + 1, payload } })),
  });
  if (answer.type !== 'appended') throw new Error(`could not fill the store: ${JSON.stringify(answer)}`);
}
const amqpUrl = process.env['TAUON_AMQP_URL'];
let stopTransport: () => Promise<void>;
let transport: CountingTransport;
if (amqpUrl === undefined) {
  const ws = await listenWs({ host: '127.0.0.1', port: 0 });
  transport = new CountingTransport(ws.transport);
  stopTransport = () => ws.close();
  await server.listen(transport);
  process.stdout.write(`listening ${ws.url}\n`);
} else {
  const { AmqpServerTransport } = await import('../../transports/amqp/index.js');
  const service = `tauon-unread-${process.pid}`;
  transport = new CountingTransport(new AmqpServerTransport({ url: amqpUrl, service }));
  // Closing the server closes the AMQP transport it listens on.
  stopTransport = () => Promise.resolve();
  await server.listen(transport);
  process.stdout.write(`listening ${service}\n`);
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'stats') return;
  const stats = {
    rss: procStatus('VmRSS'),
    rssAnon: procStatus('RssAnon'),
    heapUsed: process.memoryUsage().heapUsed,
    buffered: [...transport.connections].map((connection) => connection.bufferedAmount),
  };
  process.stdout.write(`stats ${JSON.stringify(stats)}\n`);
});
process.stdin.on('end', () => {
  void server
    .close()
    .then(() => stopTransport())
    .then(() => store.close())
    .then(() => process.exit(0));
});
