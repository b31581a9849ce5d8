// Vitest: unit tests (*.unit.test.ts) and integration tests (*.int.test.ts, real sockets and
// real services) in one run, sized for the 2-core machines this project runs on.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  // The package's own subpath exports (used by examples/) resolve to the sources, not dist/.
  resolve: {
    // Exact matches: a bare prefix would also catch the longer subpaths.
    alias: Object.entries({
      'tauon/protocol': './protocol/index.ts',
      'tauon/client': './client/index.ts',
      'tauon/testing': './testing/index.ts',
      'tauon/transports': './transports/transport.ts',
      'tauon/transports/memory': './transports/memory/index.ts',
      'tauon/transports/ws': './transports/ws/index.ts',
      'tauon/transports/amqp': './transports/amqp/index.ts',
      'tauon/server': './server-reference/index.ts',
      'tauon/conformance': './test/conformance/index.ts',
      'tauon/conformance/store': './test/conformance/store.ts',
      'tauon/conformance/wire': './test/conformance/wire.ts',
      'tauon/conformance/runner': './test/conformance/runner.ts',
      // package.json "imports": the Node choice of the client's codecs (the browser one is for bundlers).
      '#client-codec': './client/codec-choice.ts',
    }).map(([name, path]) => ({ find: new RegExp(`^${name}$`), replacement: source(path) })),
  },
  test: {
    // Tests that stop and start a shared service (RabbitMQ) run alone, after everything else,
    // so that no other test loses its broker in the middle. (Each project names its own files:
    // an `include` at this level would be merged into both.)
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.restart.int.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'service-restarts', include: ['test/**/*.restart.int.test.ts'], sequence: { groupOrder: 1 } },
      },
    ],
    // Child processes rather than threads: native addons (lmdb, msgpackr-extract) and servers
    // that bind sockets are happier with a process each.
    pool: 'forks',
    // Files run in parallel, two at a time: one per core.
    fileParallelism: true,
    maxWorkers: 2,
    watch: false,
    // Integration tests wait on brokers and databases; generous, but bounded.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Time for servers, sockets and broker connections to close when the run ends.
    teardownTimeout: 20_000,
    // bin/tauon.js runs dist/: build it once, before any test (test/cli runs the command line).
    globalSetup: ['test/support/build-once.ts'],
    // A run that finds no test file is a failure, not a pass.
    passWithNoTests: false,
    allowOnly: false,
  },
});
