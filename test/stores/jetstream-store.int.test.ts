import { afterAll } from 'vitest';
import { describeEventStore } from '../conformance/index.js';
import { TestStores, natsAvailable } from './jetstream-fixture.js';

const available = await natsAvailable();
const stores = new TestStores();

describeEventStore('jetstream', () => stores.open(), {
  skip: available ? false : 'NATS with JetStream is not running on 127.0.0.1:4222',
});

afterAll(() => stores.deleteAll());
