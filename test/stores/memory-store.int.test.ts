import { describeEventStore } from '../conformance/index.js';
import { MemoryStore } from '../../server-reference/stores/memory-store.js';

describeEventStore('memory', () => Promise.resolve(new MemoryStore()), { densePositions: true });
