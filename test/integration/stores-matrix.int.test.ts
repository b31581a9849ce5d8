import { afterAll, describe } from 'vitest';
import { PostgresStore } from '../../server-reference/stores/postgres-store.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { describeServer } from '../conformance/wire-suite.js';
import { startServer, type RunningServer } from '../support/harness.js';
import { POSTGRES_URL, postgresAvailable, TestSchemas } from '../stores/postgres-fixture.js';
import { natsAvailable, TestStores } from '../stores/jetstream-fixture.js';
import { clientApiSuite } from './suites/client-api.js';
import { hotColdSwitchSuite } from './suites/hot-cold-switch.js';
import { resumeSuite } from './suites/resume.js';

// The client's integration suites (every mode and start position, credit, resume across server
// closes) against reference servers on PostgreSQL and on JetStream, over WebSocket.
const schemas = new TestSchemas();
const jetStreams = new TestStores();
afterAll(async () => {
  await schemas.dropAll();
  await jetStreams.deleteAll();
}, 60_000);

const stores: [string, () => Promise<EventStore>][] = [
  ...((await postgresAvailable())
    ? [['postgres', () => PostgresStore.open(POSTGRES_URL, { schema: schemas.fresh() })] as [string, () => Promise<EventStore>]]
    : []),
  ...((await natsAvailable()) ? [['jetstream', () => jetStreams.open()] as [string, () => Promise<EventStore>]] : []),
];

for (const [name, open] of stores) {
  const start = async (): Promise<RunningServer> => {
    const store = await open();
    return startServer('ws', { store, onClose: () => store.close() });
  };
  clientApiSuite(`over ws, ${name} store`, start);
  hotColdSwitchSuite(`over ws, ${name} store`, start);
  resumeSuite(`over ws, ${name} store`, start);
  describe(`reference server on ${name}`, () => {
    let running: RunningServer;
    const ready = start().then((server) => (running = server));
    afterAll(async () => {
      await ready;
      await running.close();
    });
    describeServer(`ws, ${name} store`, { connect: async () => (await ready).connect() });
  });
}
