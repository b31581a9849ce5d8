import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wsTransport } from '../../transports/ws/index.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { runTauon, startServe } from '../support/cli-process.js';
import { tempDir } from '../support/temp-dir.js';

/** Opens one session and tries one more: true when the second was refused as overloaded. */
async function secondIsRefused(url: string): Promise<boolean> {
  const transport = wsTransport(url);
  const first = await RawPeer.open(() => transport.connect());
  const second = new RawPeer(await transport.connect());
  second.send({ type: 'hello', versions: [1] });
  const answer = await second.next((frame) => frame.type === 'reject' || frame.type === 'welcome');
  second.close();
  first.close();
  return answer.type === 'reject' && answer.code === 'overloaded';
}

describe('tauon serve --max-connections', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir('cli-max-connections');
  });
  afterAll(() => dir.remove());

  it('serves at most that many connections, from the flag or the configuration file', async () => {
    const flagged = await startServe(['--data', join(dir.path, 'flag'), '--port', '0', '--max-connections', '1']);
    try {
      expect(await secondIsRefused(flagged.url)).toBe(true);
    } finally {
      await flagged.stop();
    }
    const config = join(dir.path, 'tauon.config.json');
    await writeFile(config, JSON.stringify({ stores: { main: { kind: 'lmdb', path: './file' } }, listen: { port: 0, maxConnections: 1 } }));
    const configured = await startServe(['--config', config]);
    try {
      expect(await secondIsRefused(configured.url)).toBe(true);
    } finally {
      await configured.stop();
    }
  });

  it('refuses a value that is not a positive integer, exit 2', async () => {
    for (const value of ['0', '-1', '1.5', 'many']) {
      const refused = await runTauon(['serve', '--data', join(dir.path, 'bad'), '--port', '0', `--max-connections=${value}`]);
      expect(refused.code, value).toBe(2);
      expect(refused.stderr, value).toContain('--max-connections must be a positive integer');
    }
  });
});
