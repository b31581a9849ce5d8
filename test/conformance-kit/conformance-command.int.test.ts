// `tauon conformance URL` as an implementer of another language runs it: a real `tauon serve`
// process (locked, with the tokens the authorization cases need, announcing small limits and a
// short heartbeat through its configuration's "protocol" section), the kit run against it twice
// in a row over ws://, every case passed or skipped, in well under 2 minutes.
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WIRE_CASES } from '../conformance/cases/index.js';
import { CONFORMANCE_AUTH_PATTERN } from '../conformance/kit/server-under-test.js';
import { runTauon, startServe, type ServeProcess } from '../support/cli-process.js';
import { requireService } from '../support/services.js';
import { tempDir } from '../support/temp-dir.js';
import { QUICK_KIT_OPTIONS } from './quick-kit-options.js';

const ADMIN = 'kit-admin-token-0123456789';
const READER = 'kit-reader-token-0123456789';
const WRITER = 'kit-writer-token-0123456789';
const JWT_SECRET = 'the-conformance-command-jwt-secret-of-32-bytes';

/** A script that prints a JWT that may do everything and expires 2 seconds later (HS256, node:crypto only). */
const EXPIRING_TOKEN_SCRIPT = `
import { createHmac } from 'node:crypto';
const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const body = part({ alg: 'HS256', typ: 'JWT' }) + '.' + part({ exp: Math.floor(Date.now() / 1000) + 2, tauon: { read: ['$all'], write: ['$all'] } });
console.log(body + '.' + createHmac('sha256', process.env.KIT_JWT_SECRET).update(body).digest('base64url'));
`;

const rabbitMq = await requireService('RabbitMQ', 5672);

/** kit-counts as the package ships it (`tauon serve` runs the build, which `npm ci` makes). */
const KIT_PROJECTION_MODULE = fileURLToPath(new URL('../../dist/test/conformance/kit-projection.js', import.meta.url));

/** The summary line: `N passed, N failed, N skipped in S s`. */
const SUMMARY = /^(\d+) passed, (\d+) failed, (\d+) skipped in ([\d.]+) s$/m;

describe('tauon conformance', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let serve: ServeProcess;
  const env = { ...process.env, KIT_ADMIN: ADMIN, KIT_READER: READER, KIT_WRITER: WRITER, KIT_JWT_SECRET: JWT_SECRET };
  let authFlags: string[];

  beforeAll(async () => {
    dir = await tempDir('conformance-command');
    const config = {
      stores: { main: { kind: 'lmdb', path: './data' } },
      // The projection the SPEC 18 cases read (docs/testing.md), as an implementer registers it: by module path.
      projections: [KIT_PROJECTION_MODULE],
      listen: { host: '127.0.0.1', port: 0, maxConnections: QUICK_KIT_OPTIONS.maxConnections },
      protocol: { heartbeatMs: QUICK_KIT_OPTIONS.heartbeatMs, limits: QUICK_KIT_OPTIONS.limits },
      auth: {
        tokens: [
          { name: 'admin', token: { env: 'KIT_ADMIN' }, read: ['$all'], write: ['$all'] },
          { name: 'reader', token: { env: 'KIT_READER' }, read: [CONFORMANCE_AUTH_PATTERN] },
          { name: 'writer', token: { env: 'KIT_WRITER' }, write: [CONFORMANCE_AUTH_PATTERN] },
        ],
        jwt: { secret: { env: 'KIT_JWT_SECRET' } },
      },
    };
    await writeFile(join(dir.path, 'tauon.config.json'), JSON.stringify(config));
    await writeFile(join(dir.path, 'expiring-token.mjs'), EXPIRING_TOKEN_SCRIPT);
    authFlags = [
      '--token', ADMIN,
      '--reader-token', READER,
      '--writer-token', WRITER,
      '--expiring-token-command', `${process.execPath} ${join(dir.path, 'expiring-token.mjs')}`,
      '--max-connections', String(QUICK_KIT_OPTIONS.maxConnections),
    ];
    serve = await startServe(['--config', join(dir.path, 'tauon.config.json')], 30_000, { env });
  }, 60_000);
  afterAll(async () => {
    await serve?.stop();
    await dir?.remove();
  });

  it('prints every case of the kit passed, with its section, and the summary, twice in a row, each run under 2 minutes', async () => {
    for (const round of [1, 2]) {
      const started = Date.now();
      const ran = await runTauon(['conformance', serve.url, ...authFlags], 150_000, { env });
      const ms = Date.now() - started;
      const failed = ran.stdout.split('\n').filter((line) => line.startsWith('failed'));
      expect(failed, `run ${round}:\n${ran.stdout}\n${ran.stderr}`).toEqual([]);
      expect(ran.code, ran.stderr).toBe(0);
      const summary = SUMMARY.exec(ran.stdout);
      expect(summary, ran.stdout).not.toBeNull();
      const [passed, failedCount, skipped] = [Number(summary![1]), Number(summary![2]), Number(summary![3])];
      // Locked, with every token: nothing is skipped.
      expect({ passed, failed: failedCount, skipped }).toEqual({ passed: WIRE_CASES.length, failed: 0, skipped: 0 });
      for (const testCase of WIRE_CASES) expect(ran.stdout).toContain(`passed  §${testCase.section} ${testCase.title} (`);
      expect(ms).toBeLessThan(120_000);
      console.log(`tauon conformance, run ${round}: ${passed} cases in ${(ms / 1000).toFixed(1)} s (the command said ${summary![4]} s)`);
    }
  }, 300_000);

  it('runs one section with --only, skips the authorization cases without their tokens, and says so', async () => {
    const ran = await runTauon(['conformance', serve.url, '--token', ADMIN, '--only', '6.6', '--only', '12'], 60_000, { env });
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    const lines = ran.stdout.split('\n').filter((line) => /^(passed|failed|skipped) /.test(line));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((line) => / §(6\.6|12)[ .]/.test(line)), lines.join('\n')).toBe(true);
    expect(lines.filter((line) => line.includes('§6.6')).every((line) => line.startsWith('skipped'))).toBe(true);
    expect(ran.stdout).toContain('(needs auth)');
    expect(ran.stdout).toMatch(/^\d+ passed, 0 failed, [1-9]\d* skipped in/m);
  }, 90_000);

  it('exits 1 and names the failed cases with their reasons when the server breaks a rule', async () => {
    // A reader token the server does not know: the server refuses it, where the cases expect a reader.
    const ran = await runTauon(
      ['conformance', serve.url, '--token', ADMIN, '--reader-token', 'not-a-token-of-this-server', '--writer-token', WRITER, '--only', '6.6'],
      60_000,
      { env },
    );
    expect(ran.code, ran.stdout + ran.stderr).toBe(1);
    expect(ran.stdout).toMatch(/^failed {2}§6\.6 /m);
    expect(ran.stdout).toMatch(/^ {8}\S/m);
    expect(ran.stdout).toMatch(/^\d+ passed, [1-9]\d* failed, \d+ skipped in/m);
    // No case can run: the server refuses the kit's hello, or cannot be reached.
    const envWithoutToken = { ...env, TAUON_TOKEN: '' };
    const refused = await runTauon(['conformance', serve.url, '--only', '12'], 30_000, { env: envWithoutToken });
    expect({ code: refused.code, stderr: refused.stderr }).toMatchObject({ code: 1, stderr: expect.stringContaining("no case ran: the server refused the kit's hello (no token was given)") as unknown });
    const unreachable = await runTauon(['conformance', 'ws://127.0.0.1:1', '--only', '12'], 30_000);
    expect({ code: unreachable.code, stderr: unreachable.stderr }).toMatchObject({ code: 1, stderr: expect.stringContaining('no case ran: ') as unknown });
  }, 90_000);

  it('prints its help, lists the cases, and refuses a URL it cannot use', async () => {
    const help = await runTauon(['conformance', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: tauon conformance URL');
    expect(help.stdout).toContain('--reader-token');
    const list = await runTauon(['conformance', '--list', '--only', '12']);
    expect(list.code).toBe(0);
    expect(list.stdout.trim().split('\n').at(-1)).toMatch(/^\d+ cases$/);
    expect(list.stdout).toContain('§12 ');
    const wrong = await runTauon(['conformance', 'http://127.0.0.1:1']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('URL is a ws://, wss://, amqp:// or amqps:// URL');
    const none = await runTauon(['conformance']);
    expect(none.code).toBe(2);
  });
});

describe.skipIf(!rabbitMq)('tauon conformance over AMQP', () => {
  const service = `tauon-kit-${randomUUID()}`;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let serve: ServeProcess;
  beforeAll(async () => {
    dir = await tempDir('conformance-amqp');
    const config = {
      stores: { main: { kind: 'lmdb', path: './data' } },
      listen: { host: '127.0.0.1', port: 0 },
      amqp: { url: 'amqp://127.0.0.1', service },
      protocol: { heartbeatMs: QUICK_KIT_OPTIONS.heartbeatMs, limits: QUICK_KIT_OPTIONS.limits },
    };
    await writeFile(join(dir.path, 'tauon.config.json'), JSON.stringify(config));
    serve = await startServe(['--config', join(dir.path, 'tauon.config.json')], 30_000);
  }, 60_000);
  afterAll(async () => {
    await serve?.stop();
    await dir?.remove();
  });

  it('runs the kit through the broker with the service queue of --service', async () => {
    const ran = await runTauon(['conformance', 'amqp://127.0.0.1', '--service', service, '--only', '12', '--only', '6.3'], 90_000);
    expect(ran.code, ran.stdout + ran.stderr).toBe(0);
    expect(ran.stdout).toContain('against amqp://127.0.0.1');
    expect(ran.stdout).toMatch(/^passed {2}§12 /m);
    expect(ran.stdout).toMatch(/^[1-9]\d* passed, 0 failed, \d+ skipped in /m);
  }, 120_000);
});
