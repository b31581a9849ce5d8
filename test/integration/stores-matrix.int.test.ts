import { afterAll, describe } from 'vitest';
import { LmdbStore } from '../../server-reference/stores/lmdb/lmdb-store.js';
import { PostgresStore } from '../../server-reference/stores/postgres/postgres-store.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { describeServer } from '../conformance/wire-suite.js';
import { startServer, type RunningServer } from '../support/harness.js';
import { tempDir } from '../support/temp-dir.js';
import { POSTGRES_URL, postgresAvailable } from '../stores/postgres-fixture.js';
import { natsAvailable } from '../stores/jetstream-fixture.js';
import { serviceStoreNames } from '../stores/service-store-names.js';
import { clientApiSuite } from './suites/client-api.js';
import { hotColdSwitchSuite } from './suites/hot-cold-switch.js';
import { resumeSuite } from './suites/resume.js';

// The client's integration suites (every mode and start position, credit, resume across server
// closes) against reference servers on lmdb (whose replays splice stored bytes into frames),
// PostgreSQL and JetStream, over WebSocket.
const { schemas, jetStreams } = serviceStoreNames();

const lmdbDirs: { remove: () => Promise<void> }[] = [];
afterAll(async () => {
  for (const dir of lmdbDirs.splice(0)) await dir.remove();
});
const openLmdb = async (): Promise<EventStore> => {
  const dir = await tempDir('matrix');
  lmdbDirs.push(dir);
  return LmdbStore.open(dir.path);
};

const stores: [string, () => Promise<EventStore>][] = [
  ['lmdb', openLmdb],
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
