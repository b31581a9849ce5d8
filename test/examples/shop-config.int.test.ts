import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from '../support/cli-process.js';
import { sendHttp } from '../support/http-request.js';
import { tempDir } from '../support/temp-dir.js';

const SHOP = fileURLToPath(new URL('../../examples/shop/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

let serve: ServeProcess | undefined;
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await serve?.stop();
  serve = undefined;
  await cleanup?.();
  cleanup = undefined;
});

describe('examples/shop/tauon.config.json', () => {
  it('is served by `tauon serve --config` run under tsx, with the revenue projection', async () => {
    // The example's file with its own projections, but a temporary store and any free port, so
    // that the test writes nothing in the repository and takes no fixed port.
    const config = JSON.parse(await readFile(join(SHOP, 'tauon.config.json'), 'utf8')) as { projections: string[] };
    const dir = await tempDir('shop-config');
    cleanup = dir.remove;
    const file = join(dir.path, 'tauon.config.json');
    await writeFile(
      file,
      JSON.stringify({
        ...config,
        stores: { main: { kind: 'lmdb', path: './data' } },
        listen: { host: '127.0.0.1', port: 0 },
        projections: config.projections.map((module) => resolve(SHOP, module)),
      }),
    );
    // `npx tsx bin/tauon.js serve ...` as the example's README says: tsx loads the .ts module.
    serve = await startServe(['--config', file], 30_000, { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '--import tsx' } });
    const answer = await sendHttp(`${serve.httpUrl}/projections`);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject([{ name: 'revenue-per-day', stream: 'order.*', keyed: true, status: 'running' }]);
  });
});
