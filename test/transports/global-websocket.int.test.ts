import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../support/harness.js';

const run = promisify(execFile);
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

describe('the client on a global WebSocket, as in a browser', () => {
  let running: RunningServer;
  beforeAll(async () => {
    running = await startServer('ws');
  });
  afterAll(() => running.close());

  it('emits and replays with the same client code and no ws package', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--experimental-websocket',
        '--no-warnings',
        '--import',
        here('../support/global-websocket/block-ws.mjs'),
        '--import',
        'tsx',
        here('../support/global-websocket/client-run.ts'),
        running.transport.description,
      ],
      { timeout: 30_000 },
    );
    expect(JSON.parse(stdout)).toEqual({
      globalWebSocket: 'function',
      seqs: [1, 2],
      types: ['FromGlobalWebSocket', 'Second'],
    });
  });
});
