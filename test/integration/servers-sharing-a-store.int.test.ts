import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import type { StoredEvent } from '../../protocol/frames.js';
import { wsTransport } from '../../transports/ws/index.js';
import { POSTGRES_URL, postgresAvailable } from '../stores/postgres-fixture.js';
import { NATS_URL, natsAvailable } from '../stores/jetstream-fixture.js';
import { serviceStoreNames } from '../stores/service-store-names.js';
import { startServe, type ServeProcess } from '../support/cli-process.js';
import { until as waitUntil } from '../support/until.js';

// Two `tauon serve` processes on one PostgreSQL database or one JetStream, as a user runs them:
// each client emits through its own server and follows the stream through it, and sees the
// other server's appends live, every event once, in the same order as the other client.

const { schemas, jetStreams } = serviceStoreNames();

const storeUrls: [string, () => string][] = [
  ...((await postgresAvailable()) ? [['PostgreSQL', () => `${POSTGRES_URL}?schema=${schemas.fresh('shared')}`] as [string, () => string]] : []),
  ...((await natsAvailable())
    ? [
        [
          'JetStream',
          () => {
            const names = jetStreams.fresh();
            return `${NATS_URL}?stream=${names.stream}&subjectPrefix=${names.subjectPrefix}`;
          },
        ] as [string, () => string],
      ]
    : []),
];

const PER_CLIENT = 300;
const EMITS_IN_FLIGHT = 10;

/** The shared wait, with this file's time limit. */
const until = (done: () => boolean, what: string, timeoutMs = 30_000): Promise<void> => waitUntil(done, what, timeoutMs);

/** Emits `count` events to `stream`, `EMITS_IN_FLIGHT` at a time, each with data `{ by, i }`. */
async function emitAll(client: Client, stream: string, by: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += EMITS_IN_FLIGHT) {
    const batch = Array.from({ length: Math.min(EMITS_IN_FLIGHT, count - i) }, (_, k) => client.emit(stream, { type: 'Said', data: { by, i: i + k } }));
    await Promise.all(batch);
  }
}

for (const [name, storeUrl] of storeUrls) {
  describe(`two tauon serve processes on one ${name}`, { timeout: 90_000 }, () => {
    const servers: ServeProcess[] = [];
    const clients: Client[] = [];

    afterEach(async () => {
      for (const client of clients.splice(0)) await client.close();
      for (const server of servers.splice(0)) await server.stop();
    });

    it("each client follows the stream through its own server and sees the other's appends live, once each, in one order", async () => {
      const url = storeUrl();
      servers.push(await startServe(['--store', url, '--port', '0'], 60_000));
      servers.push(await startServe(['--store', url, '--port', '0'], 60_000));
      const [a, b] = await Promise.all(servers.map((server) => connect(wsTransport(server.url))));
      clients.push(a!, b!);

      const seen: StoredEvent[][] = [[], []];
      const subscriptions = [a!, b!].map((client, i) => client.subscribe('chat', { mode: 'hot-cold' }).subscribe({ next: (event) => seen[i]!.push(event) }));
      try {
        // Both follow from an empty stream, so everything they see arrives live.
        await Promise.all([emitAll(a!, 'chat', 'a', PER_CLIENT), emitAll(b!, 'chat', 'b', PER_CLIENT)]);
        await until(() => seen[0]!.length >= 2 * PER_CLIENT && seen[1]!.length >= 2 * PER_CLIENT, 'both followers to see every event');
      } finally {
        for (const subscription of subscriptions) subscription.unsubscribe();
      }

      const dense = Array.from({ length: 2 * PER_CLIENT }, (_, i) => i + 1);
      for (const [i, events] of seen.entries()) {
        expect(events.map((e) => e.seq), `client ${i === 0 ? 'a' : 'b'}: seq 1..N, each once, in order`).toEqual(dense);
      }
      expect(seen[1]!.map((e) => e.id), 'both servers deliver the same events in the same order').toEqual(seen[0]!.map((e) => e.id));
      for (const by of ['a', 'b']) {
        const mine = seen[0]!.filter((e) => (e.data as { by: string }).by === by).map((e) => (e.data as { i: number }).i);
        expect(mine, `every emit of ${by} landed once, in the order it was emitted`).toEqual(Array.from({ length: PER_CLIENT }, (_, i) => i));
      }
    });
  });
}
