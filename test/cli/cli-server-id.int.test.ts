import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { wsTransport } from '../../transports/ws/index.js';
import { runTauon, startServe, type ServeProcess } from '../support/cli-process.js';
import { tempDir } from '../support/temp-dir.js';

/** welcome.server and welcome.store of a running `tauon serve`, and server-info's. */
async function identityOf(serve: ServeProcess): Promise<{ server?: string; store?: string; info: { server: string; store?: string } }> {
  const client = await connect(wsTransport(serve.url));
  try {
    const info = await client.info();
    return {
      ...(client.status.server === undefined ? {} : { server: client.status.server }),
      ...(client.status.store === undefined ? {} : { store: client.status.store }),
      info: { server: info.server, ...(info.store === undefined ? {} : { store: info.store }) },
    };
  } finally {
    await client.close();
  }
}

describe('tauon serve: the server id stays the same across restarts (SPEC 6.5.1)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir('cli-server-id');
  });
  afterAll(() => dir.remove());

  it('two starts on one data directory announce the same server and store; by default the server id is the store identity', async () => {
    const data = join(dir.path, 'data');
    const seen = [];
    for (let start = 0; start < 2; start++) {
      const serve = await startServe(['--data', data, '--port', '0']);
      try {
        seen.push(await identityOf(serve));
        expect(serve.output(), 'the start line names both').toContain(`tauon: server id ${seen[start]!.server}, store ${seen[start]!.store}`);
      } finally {
        expect(await serve.stop(), 'a clean stop').toBe(0);
      }
    }
    const [first, second] = seen;
    expect(first!.store, 'welcome names the store').toMatch(/^[0-9a-f-]{36}$/);
    expect(first!.server, 'the default server id is the store identity').toBe(first!.store);
    expect(second, 'the second start announces the same server and store').toEqual(first);
    expect(first!.info, 'server-info agrees with welcome').toEqual({ server: first!.server, store: first!.store });

    const other = await startServe(['--data', join(dir.path, 'other'), '--port', '0']);
    try {
      const elsewhere = await identityOf(other);
      expect(elsewhere.store, 'another directory is another store').not.toBe(first!.store);
      expect(elsewhere.server, 'with another default server id').not.toBe(first!.server);
    } finally {
      await other.stop();
    }
  });

  it('--server-id, or serverId in the configuration file, names the server; the store keeps its identity', async () => {
    const data = join(dir.path, 'named');
    const flagged = await startServe(['--data', data, '--port', '0', '--server-id', 'node-a']);
    let store: string | undefined;
    try {
      const seen = await identityOf(flagged);
      expect(seen.server).toBe('node-a');
      expect(seen.info.server, 'server-info too').toBe('node-a');
      store = seen.store;
    } finally {
      await flagged.stop();
    }
    const config = join(dir.path, 'tauon.config.json');
    await writeFile(config, JSON.stringify({ stores: { main: { kind: 'lmdb', path: './named' } }, serverId: 'node-b', listen: { port: 0 } }));
    const configured = await startServe(['--config', config]);
    try {
      const seen = await identityOf(configured);
      expect(seen.server, 'the configuration names it').toBe('node-b');
      expect(seen.store, 'the same directory, the same store').toBe(store);
    } finally {
      await configured.stop();
    }
    const overridden = await startServe(['--config', config, '--server-id', 'node-c']);
    try {
      expect((await identityOf(overridden)).server, 'the flag overrides the configuration').toBe('node-c');
    } finally {
      await overridden.stop();
    }
  });

  it('refuses an empty or too long --server-id or serverId, exit 2', async () => {
    for (const value of ['', 'x'.repeat(257)]) {
      const refused = await runTauon(['serve', '--data', join(dir.path, 'bad'), '--port', '0', `--server-id=${value}`]);
      expect(refused.code, `--server-id of ${value.length} characters`).toBe(2);
      expect(refused.stderr).toContain('--server-id must have 1 to 256 characters');
    }
    const config = join(dir.path, 'bad.config.json');
    await writeFile(config, JSON.stringify({ stores: { main: { kind: 'lmdb', path: './bad' } }, serverId: '' }));
    const refused = await runTauon(['serve', '--config', config]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('serverId');
  });
});
