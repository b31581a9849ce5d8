import { afterAll } from 'vitest';
import { describeSharedProjectionStore } from '../conformance/store-contract-projections.js';
import { TestStores, natsAvailable } from './jetstream-fixture.js';

// Two servers in front of one JetStream: two store instances on one JetStream stream (and its
// stream of projections), each with its own NATS connection.

const available = await natsAvailable();
const stores = new TestStores();

describeSharedProjectionStore(
  'jetstream',
  async () => {
    const names = stores.fresh();
    const first = await stores.open(names);
    return [first, await stores.open(names)] as const;
  },
  { skip: available ? false : 'NATS with JetStream is not running on 127.0.0.1:4222' },
);

afterAll(() => stores.deleteAll());
