// Paths and connections as a newcomer types them: a --data directory with a dot in its name, a
// --data path that cannot be made, a postgres:// URL without a user where USER is not set.
import { existsSync } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postgresAvailable, runSql } from '../stores/postgres-fixture.js';
import { serviceStoreNames } from '../stores/service-store-names.js';
import { runTauon, startServe, type ServeProcess } from '../support/cli-process.js';
import { startInGroup } from '../support/process-group.js';
import { SERVICE_HOST, SERVICE_PORTS } from '../support/services.js';
import { tempDir } from '../support/temp-dir.js';

const withPostgres = await postgresAvailable();
const { schemas } = serviceStoreNames();

/** This environment without the variables that name the user. */
function envWithoutUser(): NodeJS.ProcessEnv {
  const { USER: _user, PGUSER: _pgUser, LOGNAME: _logName, ...rest } = process.env;
  return rest;
}

describe('tauon serve: paths and connections a newcomer types', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let serve: ServeProcess | undefined;
  beforeEach(async () => {
    dir = await tempDir('cli-paths');
  });
  afterEach(async () => {
    await serve?.stop();
    serve = undefined;
    await dir.remove();
  });

  /** Serves `--data path`, emits one event, stops, and serves again: the event is still there. */
  async function serveTwice(path: string): Promise<void> {
    serve = await startServe(['--data', path, '--port', '0'], 30_000);
    expect(serve.output()).toContain(`(lmdb store in ${path})`);
    expect((await runTauon(['emit', '--url', serve.url, 'paths', 'Kept'])).code).toBe(0);
    expect(await serve.stop()).toBe(0);
    serve = await startServe(['--data', path, '--port', '0'], 30_000);
    const tail = await runTauon(['tail', '--url', serve.url, 'paths', '--mode', 'cold']);
    expect(tail.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { type: string }).type)).toEqual(['Kept']);
  }

  it('--data DIR with a dot in its name, absent: a directory, created with its parents', async () => {
    const path = join(dir.path, 'my.data', 'v1.0');
    await serveTwice(path);
    expect((await stat(path)).isDirectory()).toBe(true);
    expect((await readdir(path)).sort()).toEqual(['data.mdb', 'lock.mdb']);
  });

  it('--data DIR with a dot in its name, existing (a `mktemp -d` folder): served, not "Is a directory"', async () => {
    const path = join(dir.path, 'tmp.Q3xVb8kL');
    await mkdir(path);
    await serveTwice(path);
  });

  // procfs answers ENOENT to a mkdir under it: Node's recursive mkdir tried again for ever.
  it.skipIf(!existsSync('/proc/self'))('--data /proc/nope fails at once with a clear error, exit 1', async () => {
    const failed = await runTauon(['serve', '--data', '/proc/nope', '--port', '0'], 15_000);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe(
      "tauon serve: internal: cannot open the lmdb store at /proc/nope: cannot make its directory: ENOENT: no such file or directory, mkdir '/proc/nope'\n",
    );
  });

  it('--data under a file fails at once, naming it, exit 1', async () => {
    const file = join(dir.path, 'package.json');
    await writeFile(file, '{}');
    const failed = await runTauon(['serve', '--data', join(file, 'data'), '--port', '0']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`cannot open the lmdb store at ${join(file, 'data')}: cannot make its directory: ${file} is not a directory`);
  });

  it('npm start -- --port P --data D serves as the README says', async () => {
    const path = join(dir.path, 'started');
    const started = startInGroup('npm', ['start', '--', '--port', '0', '--data', path], { cwd: fileURLToPath(new URL('../../', import.meta.url)) });
    try {
      const [, url] = await started.waitFor(/serving (ws:\/\/\S+?)\/? and .*\(lmdb store in (.+)\)/, 30_000);
      expect(started.output()).toContain(`(lmdb store in ${path})`);
      expect((await runTauon(['emit', '--url', url!, 'paths', 'Started'])).code).toBe(0);
    } finally {
      await started.stop();
    }
    expect(started.output()).toContain('tauon: stopping');
    expect((await readdir(path)).sort()).toEqual(['data.mdb', 'lock.mdb']);
  });

  it.skipIf(!withPostgres)('--store postgres://HOST/DB without a user, where USER is not set, connects as the OS user (as psql)', async () => {
    const osUser = userInfo().username;
    const schema = schemas.fresh('cli_user');
    const url = `postgres://${SERVICE_HOST}:${SERVICE_PORTS.postgres}/test?schema=${schema}`;
    const hasRole = (await runSql('SELECT 1 FROM pg_roles WHERE rolname = $1', [osUser])).length > 0;
    if (!hasRole) {
      // The database knows no such role: what matters is that it was asked for this one.
      const failed = await runTauon(['serve', '--store', url, '--port', '0'], 30_000, { env: envWithoutUser() });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain(`role "${osUser}" does not exist`);
      return;
    }
    serve = await startServe(['--store', url, '--port', '0'], 30_000, { env: envWithoutUser() });
    expect((await runTauon(['emit', '--url', serve.url, 'paths', 'AsOsUser'])).code).toBe(0);
    const owners = await runSql<{ owner: string }>('SELECT nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname = $1', [schema]);
    expect(owners).toEqual([{ owner: osUser }]);
  });
});
