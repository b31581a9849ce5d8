import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTauon, startServe, type ServeProcess } from '../support/cli-process.js';
import { tempDir } from '../support/temp-dir.js';

const ADMIN = 'cli-admin-token-from-the-environment';
const READER = 'cli-reader-token-from-a-file';
const JWT_SECRET = 'the-cli-tests-jwt-secret-of-32-bytes-or-more';

/** A URL of a server bound to 0.0.0.0, reached over loopback only. */
const loopback = (url: string) => url.replace('//0.0.0.0:', '//127.0.0.1:');

describe('tauon serve, safe by default', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir('cli-auth-default');
  });
  afterAll(() => dir.remove());

  it('refuses to serve an address other machines reach without authentication, exit 2, saying how to lock it or open it', async () => {
    for (const args of [
      ['--host', '0.0.0.0'],
      ['--host', '::'],
      ['--host', 'tauon.example.invalid'],
      // A broker elsewhere: every client of the broker could use the service queue.
      ['--amqp', 'amqp://user:pw@broker.example.invalid'],
    ]) {
      const refused = await runTauon(['serve', '--data', join(dir.path, 'd'), '--port', '0', ...args]);
      const label = args.join(' ');
      expect(refused.code, label).toBe(2);
      expect(refused.stderr, label).toContain('without authentication: anyone who reaches it could read and write every stream');
      expect(refused.stderr, label).toContain('"auth" section in the configuration file (--config FILE; see docs/security.md)');
      expect(refused.stderr, label).toContain('--allow-anonymous');
      expect(refused.stderr, label).not.toContain('pw@');
    }
  });

  it('serves 0.0.0.0 open when told --allow-anonymous, and says so', async () => {
    const serve = await startServe(['--data', join(dir.path, 'open'), '--host', '0.0.0.0', '--port', '0', '--allow-anonymous']);
    try {
      await waitFor(() => serve.output().includes('no authentication (--allow-anonymous)'));
      expect(serve.output()).toContain('every client that reaches 0.0.0.0 may read and write every stream');
      const emitted = await runTauon(['emit', '--url', loopback(serve.url), 'open', 'Hi']);
      expect(emitted.stderr).toBe('');
      expect(JSON.parse(emitted.stdout)).toMatchObject({ stream: 'open', seq: 1 });
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });
});

describe('tauon serve with an auth section, and the client commands with --token and TAUON_TOKEN', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let config: string;
  let serve: ServeProcess;
  let url: string;
  let httpUrl: string;
  const auth = {
    tokens: [
      { name: 'admin', token: { env: 'TEST_TAUON_ADMIN_TOKEN' }, read: ['$all'], write: ['$all'] },
      { name: 'reader', token: { file: './secrets/reader' }, read: ['orders.*'] },
    ],
    jwt: { secret: { env: 'TEST_TAUON_JWT_SECRET' }, audience: 'tauon' },
  };

  beforeAll(async () => {
    dir = await tempDir('cli-auth');
    await mkdir(join(dir.path, 'secrets'));
    await writeFile(join(dir.path, 'secrets', 'reader'), `${READER}\n`);
    config = join(dir.path, 'tauon.config.json');
    await writeFile(config, JSON.stringify({ stores: { main: { kind: 'lmdb', path: './data' } }, listen: { host: '0.0.0.0', port: 0 }, auth }));
    // Locked, it may listen on 0.0.0.0; the tests reach it over loopback only.
    serve = await startServe(['--config', config], 20_000, { env: { ...process.env, TEST_TAUON_ADMIN_TOKEN: ADMIN, TEST_TAUON_JWT_SECRET: JWT_SECRET } });
    url = loopback(serve.url);
    httpUrl = loopback(serve.httpUrl);
  }, 60_000);
  afterAll(async () => {
    await serve?.stop();
    await dir?.remove();
  });

  it('says how clients authenticate', async () => {
    await waitFor(() => serve.output().includes('clients authenticate'));
    expect(serve.output()).toContain('tauon: clients authenticate with 2 tokens and JWTs; clients without a token are refused');
  });

  it('refuses a client command without a token, and takes one from --token or TAUON_TOKEN, the flag first', async () => {
    const none = await runTauon(['emit', '--url', url, 'orders.1', 'Placed']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('unauthorized: this server requires a token');
    const flagged = await runTauon(['emit', '--url', url, '--token', ADMIN, 'orders.1', 'Placed']);
    expect(JSON.parse(flagged.stdout)).toMatchObject({ stream: 'orders.1', seq: 1 });
    const fromEnv = await runTauon(['emit', '--url', url, 'orders.1', 'Paid'], 20_000, { env: { ...process.env, TAUON_TOKEN: ADMIN } });
    expect(JSON.parse(fromEnv.stdout)).toMatchObject({ stream: 'orders.1', seq: 2 });
    const wrongFlag = await runTauon(['emit', '--url', url, '--token', 'a-wrong-token-for-this-server', 'orders.1', 'X'], 20_000, { env: { ...process.env,
      TAUON_TOKEN: ADMIN } });
    expect(wrongFlag.code).toBe(1);
    expect(wrongFlag.stderr).toContain('unauthorized: the token was refused');
    const rightFlag = await runTauon(['emit', '--url', url, '--token', ADMIN, 'secret.1', 'Hidden'], 20_000, { env: { ...process.env,
      TAUON_TOKEN: 'a-wrong-token-for-this-server' } });
    expect(rightFlag.code).toBe(0);
  });

  it('lets a reader tail and list what it may read, and refuses its emit as forbidden', async () => {
    await runTauon(['emit', '--url', url, '--token', ADMIN, 'orders.2', 'Placed']);
    const emitted = await runTauon(['emit', '--url', url, '--token', READER, 'orders.1', 'X']);
    expect(emitted.code).toBe(1);
    expect(emitted.stderr).toContain('forbidden: no write permission on "orders.1"');
    const tailed = await runTauon(['tail', '--url', url, 'orders.*', '--mode', 'cold'], 20_000, { env: { ...process.env, TAUON_TOKEN: READER } });
    expect(tailed.code).toBe(0);
    expect(tailed.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(3);
    const secret = await runTauon(['tail', '--url', url, '--token', READER, 'secret.1', '--mode', 'cold']);
    expect(secret.code).toBe(1);
    expect(secret.stderr).toContain('no read permission on "secret.1"');
    const listed = await runTauon(['streams', '--url', url, '--token', READER]);
    const names = listed.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { stream: string }).stream);
    expect(names).toEqual(['orders.1', 'orders.2']);
    const all = await runTauon(['streams', '--url', url], 20_000, { env: { ...process.env, TAUON_TOKEN: ADMIN } });
    expect(all.stdout).toContain('"secret.1"');
  });

  it('takes a JWT signed with the secret from the environment', async () => {
    const jwt = await new SignJWT({ aud: 'tauon', exp: Math.floor(Date.now() / 1000) + 60, tauon: { read: ['orders.1'], write: ['jwt.*'] } })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(JWT_SECRET));
    const emitted = await runTauon(['emit', '--url', url, '--token', jwt, 'jwt.a', 'Signed']);
    expect(JSON.parse(emitted.stdout)).toMatchObject({ stream: 'jwt.a', seq: 1 });
    const wrongAudience = await new SignJWT({ aud: 'other', exp: Math.floor(Date.now() / 1000) + 60 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(JWT_SECRET));
    const refused = await runTauon(['emit', '--url', url, '--token', wrongAudience, 'jwt.a', 'Signed']);
    expect(refused.stderr).toContain('unauthorized: the token\'s "aud" claim is not the one expected');
    const page = await fetch(`${httpUrl}/streams/orders.1/events`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(page.status).toBe(200);
    const forbidden = await fetch(`${httpUrl}/streams/orders.2/events`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(forbidden.status).toBe(403);
    expect((await fetch(`${httpUrl}/info`)).status).toBe(401);
  });

  it('refuses to start when a secret cannot be read, or when --allow-anonymous contradicts the auth section', async () => {
    const missing = await runTauon(['serve', '--config', config, '--port', '0'], 20_000, { env: { ...process.env, TEST_TAUON_JWT_SECRET: JWT_SECRET } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('auth.tokens[0].token: the environment variable TEST_TAUON_ADMIN_TOKEN is not set');
    const both = await runTauon(['serve', '--config', config, '--port', '0', '--allow-anonymous'], 20_000, { env: { ...process.env,
      TEST_TAUON_ADMIN_TOKEN: ADMIN,
      TEST_TAUON_JWT_SECRET: JWT_SECRET } });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--allow-anonymous: the configuration has an "auth" section');
  });

  it('shows --token and TAUON_TOKEN in the usage', async () => {
    const help = await runTauon(['--help']);
    expect(help.stdout).toContain('tauon emit [--url URL] [--service NAME] [--token T]');
    expect(help.stdout).toContain('default: the TAUON_TOKEN environment variable');
    expect(help.stdout).toContain('[--allow-anonymous]');
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}
