import { afterAll } from 'vitest';
import { describeSharedGroupStore } from '../conformance/store-contract-groups.js';
import { TestStores, natsAvailable } from './jetstream-fixture.js';

// Two servers in front of one JetStream: two store instances on one JetStream stream (and its
// KV buckets), each with its own NATS connection.

const available = await natsAvailable();
const stores = new TestStores();

describeSharedGroupStore(
  'jetstream',
  async () => {
    const names = stores.fresh();
    const first = await stores.open(names);
    return [first, await stores.open(names)] as const;
  },
  { skip: available ? false : 'NATS with JetStream is not running on 127.0.0.1:4222' },
);

afterAll(() => stores.deleteAll());
