import { afterAll } from 'vitest';
import { describeSharedProjectionStore } from '../conformance/store-contract-projections.js';
import { PostgresStore } from '../../server-reference/stores/postgres/postgres-store.js';
import { POSTGRES_URL, TestSchemas, postgresAvailable } from './postgres-fixture.js';

// Two servers on one PostgreSQL schema: two store instances, each with its own connections.

const available = await postgresAvailable();
const schemas = new TestSchemas();

describeSharedProjectionStore(
  'postgres',
  async () => {
    const schema = schemas.fresh();
    const first = await PostgresStore.open(POSTGRES_URL, { schema });
    return [first, await PostgresStore.open(POSTGRES_URL, { schema })] as const;
  },
  { skip: available ? false : 'PostgreSQL is not running on 127.0.0.1:5432' },
);

afterAll(() => schemas.dropAll());
