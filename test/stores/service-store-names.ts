/**
 * Fresh PostgreSQL schemas and JetStream streams for one test file, removed after its tests:
 * what every file that runs stores on both services sets up.
 * @module
 */
import { afterAll } from 'vitest';
import { TestSchemas } from './postgres-fixture.js';
import { TestStores } from './jetstream-fixture.js';

/** Call at the top of a test file: hands out names, and drops what they name after the file's tests. */
export function serviceStoreNames(): { schemas: TestSchemas; jetStreams: TestStores } {
  const schemas = new TestSchemas();
  const jetStreams = new TestStores();
  afterAll(async () => {
    await schemas.dropAll();
    await jetStreams.deleteAll();
  }, 60_000);
  return { schemas, jetStreams };
}
