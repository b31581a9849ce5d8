import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { runTauon, startServe, type ServeProcess } from '../support/cli-process.js';
import { sendHttp } from '../support/http-request.js';
import { requireService } from '../support/services.js';
import { tempDir } from '../support/temp-dir.js';
import { makeTestCertificates, type TestCertificates } from '../support/test-certificates.js';
import { startTlsProxy, type TlsProxy } from '../support/tls-proxy.js';

const rabbitMq = await requireService('RabbitMQ', 5672);
const APP = 'https://app.example.com';

/** The status a WebSocket upgrade from a page of `origin` gets, trusting `ca`; "open" when it opens. */
function upgradeFrom(url: string, origin: string, ca: string): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { origin, ca });
    socket.on('open', () => {
      socket.close();
      resolve('open');
    });
    socket.on('unexpected-response', (_request, response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    socket.on('error', reject);
  });
}

describe('tauon serve over TLS, and its clients with --ca', () => {
  let certificates: TestCertificates;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let serve: ServeProcess;
  let proxy: TlsProxy | undefined;
  const service = `tauon-cli-tls-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    certificates = await makeTestCertificates();
    dir = await tempDir('cli-tls');
    const amqp: string[] = [];
    if (rabbitMq) {
      // The broker has no TLS listener here: a TLS endpoint in front of it, with the test's certificate.
      proxy = await startTlsProxy({ cert: certificates.cert, key: certificates.key, targetPort: 5672 });
      amqp.push('--amqp', `amqps://127.0.0.1:${proxy.port}`, '--amqp-ca', certificates.caFile, '--service', service);
    }
    serve = await startServe([
      '--data', dir.path, '--port', '0',
      '--tls-cert', certificates.certFile, '--tls-key', certificates.keyFile,
      '--allow-origin', `${APP},http://localhost:5173`,
      ...amqp,
    ]);
  }, 60_000);
  afterAll(async () => {
    await serve?.stop();
    await proxy?.close();
    await dir?.remove();
    await certificates?.remove();
  });

  it('says wss:// and https://, and serves emit and tail that trust the CA with --ca or TAUON_CA', async () => {
    expect(serve.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    expect(serve.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ack = await runTauon(['emit', '--url', serve.url, '--ca', certificates.caFile, 'tls-cli', 'Sealed', '{"n":1}']);
    expect(ack.stderr).toBe('');
    expect(JSON.parse(ack.stdout)).toMatchObject({ stream: 'tls-cli', seq: 1 });
    const byEnv = await runTauon(['emit', '--url', serve.url, 'tls-cli', 'Sealed', '{"n":2}'], 20_000, { env: { ...process.env, TAUON_CA: certificates.caFile } });
    expect(byEnv.stderr).toBe('');
    expect(JSON.parse(byEnv.stdout)).toMatchObject({ seq: 2 });
    const tail = await runTauon(['tail', '--url', serve.url, '--ca', certificates.caFile, 'tls-cli', '--mode', 'cold']);
    expect(tail.code).toBe(0);
    expect(tail.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { data: { n: number } }).data.n)).toEqual([1, 2]);
    const health = await sendHttp(`${serve.httpUrl}/health`, { ca: certificates.ca });
    expect(health).toMatchObject({ status: 200, body: '{"ok":true}' });
  });

  it('refuses a client that does not trust the certificate, with a clear error and exit 1', async () => {
    const refused = await runTauon(['emit', '--url', serve.url, 'tls-cli', 'Unsealed']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('closed: cannot connect to wss://');
    expect(refused.stderr).toContain('unable to verify the first certificate');
    expect(refused.stderr).toContain("the server's certificate is not trusted here");
    const wrongFile = await runTauon(['emit', '--url', serve.url, '--ca', join(dir.path, 'nope.pem'), 'tls-cli', 'X']);
    expect(wrongFile.code).toBe(2);
    expect(wrongFile.stderr).toContain('--ca: cannot read');
    const clear = await runTauon(['emit', '--url', 'ws://127.0.0.1:1', '--ca', certificates.caFile, 'tls-cli', 'X']);
    expect(clear.code).toBe(2);
    expect(clear.stderr).toContain('--ca is for wss:// and amqps:// URLs');
  });

  it('lets pages of the allowed origins upgrade over wss, and refuses others with 403', async () => {
    expect(await upgradeFrom(serve.url, APP, certificates.ca)).toBe('open');
    expect(await upgradeFrom(serve.url, 'http://localhost:5173', certificates.ca)).toBe('open');
    expect(await upgradeFrom(serve.url, 'https://evil.example', certificates.ca)).toBe(403);
    const preflight = await sendHttp(`${serve.httpUrl}/streams/tls-cli/events`, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST' },
      ca: certificates.ca,
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(APP);
  });

  it.skipIf(!rabbitMq)('serves on an amqps:// broker with --amqp-ca, for clients with --ca', async () => {
    const url = `amqps://127.0.0.1:${proxy!.port}`;
    const ack = await runTauon(['emit', '--url', url, '--service', service, '--ca', certificates.caFile, 'tls-amqps', 'Sent']);
    expect(ack.stderr).toBe('');
    expect(JSON.parse(ack.stdout)).toMatchObject({ stream: 'tls-amqps', seq: 1 });
    const found = await runTauon(['discover', '--url', url, '--ca', certificates.caFile, '--wait', '2500']);
    expect(found.code).toBe(0);
    expect(found.stdout).toContain(service);
    const untrusted = await runTauon(['emit', '--url', url, '--service', service, 'tls-amqps', 'Sent']);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toContain('unable to verify the first certificate');
  });
});

describe('tauon serve refuses TLS settings it cannot use', () => {
  let certificates: TestCertificates;
  beforeAll(async () => {
    certificates = await makeTestCertificates();
  });
  afterAll(async () => {
    await certificates?.remove();
  });

  it('exits 2 naming the problem: a certificate without key, a key of another certificate, a file missing, an origin that is not one', async () => {
    const alone = await runTauon(['serve', '--port', '0', '--tls-cert', certificates.certFile]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--tls-cert and --tls-key go together');
    const mismatched = await runTauon(['serve', '--port', '0', '--tls-cert', certificates.certFile, '--tls-key', join(certificates.dir, 'ca.key')]);
    expect(mismatched.code).toBe(2);
    expect(mismatched.stderr).toContain('are not a usable certificate and key');
    const missing = await runTauon(['serve', '--port', '0', '--tls-cert', join(certificates.dir, 'nope.pem'), '--tls-key', certificates.keyFile]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--tls-cert: cannot read');
    const badOrigin = await runTauon(['serve', '--port', '0', '--allow-origin', 'https://app.example.com/path']);
    expect(badOrigin.code).toBe(2);
    expect(badOrigin.stderr).toContain('is not an origin');
  });

  it('takes TLS and the browser allow-lists from the configuration file, relative to it', async () => {
    const data = await tempDir('cli-tls-config');
    try {
      const file = join(certificates.dir, 'tauon.config.json');
      await writeFile(
        file,
        JSON.stringify({
          stores: { main: { kind: 'lmdb', path: data.path } },
          listen: { host: '127.0.0.1', port: 0 },
          tls: { cert: 'server.pem', key: 'server.key' },
          http: { allowOrigins: [APP], allowHosts: ['tauon.internal'] },
        }),
      );
      const configured = await startServe(['--config', file]);
      try {
        expect(configured.url).toMatch(/^wss:\/\//);
        expect(await upgradeFrom(configured.url, APP, certificates.ca)).toBe('open');
        expect(await upgradeFrom(configured.url, 'https://evil.example', certificates.ca)).toBe(403);
        const named = await sendHttp(`${configured.httpUrl}/health`, { headers: { host: 'tauon.internal' }, ca: certificates.ca });
        expect(named.status).toBe(200);
        const rebound = await sendHttp(`${configured.httpUrl}/health`, { headers: { host: 'evil.example' }, ca: certificates.ca });
        expect(rebound.status).toBe(421);
      } finally {
        await configured.stop();
      }
    } finally {
      await data.remove();
    }
  });
});
