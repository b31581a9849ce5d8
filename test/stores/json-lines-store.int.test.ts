import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll } from 'vitest';
import { describeEventStore } from '../conformance/store-contract.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';
import { outsideProject } from './outside-store/outside-project.js';

// The store module that test/config/store-module-serve.int.test.ts serves with `tauon serve`,
// from a project outside the repository: it passes the same contract as the stores of Tauon.
const project = await outsideProject('json-lines-store');
afterAll(() => project.remove());

const { default: createStore } = (await import(pathToFileURL(project.storeFile).href)) as {
  default: (options: unknown, context: { name: string; baseDir: string }) => Promise<EventStore>;
};
let count = 0;

describeEventStore('json-lines (a store module outside the repository)', () =>
  createStore({ file: `events-${++count}.jsonl` }, { name: 'main', baseDir: join(project.path) }),
  { densePositions: true },
);
