import { afterAll } from 'vitest';
import { describeEventStore } from '../conformance/index.js';
import { PostgresStore } from '../../server-reference/stores/postgres/postgres-store.js';
import { POSTGRES_URL, TestSchemas, postgresAvailable } from './postgres-fixture.js';

const available = await postgresAvailable();
const schemas = new TestSchemas();

describeEventStore('postgres', () => PostgresStore.open(POSTGRES_URL, { schema: schemas.fresh() }), {
  densePositions: true,
  skip: available ? false : 'PostgreSQL is not running on 127.0.0.1:5432',
});

afterAll(() => schemas.dropAll());
