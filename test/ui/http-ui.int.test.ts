import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type ServeProcess } from '../support/cli-process.js';
import { sendHttp } from '../support/http-request.js';
import { tempDir } from '../support/temp-dir.js';

// What `tauon serve` answers for the web view over plain HTTP: the page and its files with
// their security headers, the redirect of /, the browser doors in front of them, and --no-ui;
// and that the built page ships in the package.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('tauon serve: the web view over HTTP', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let serve: ServeProcess;
  let off: ServeProcess;
  beforeAll(async () => {
    dir = await tempDir('http-ui');
    [serve, off] = await Promise.all([
      startServe(['--data', join(dir.path, 'on'), '--port', '0']),
      startServe(['--data', join(dir.path, 'off'), '--port', '0', '--no-ui']),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([serve?.stop(), off?.stop()]);
    await dir?.remove();
  });

  it('redirects / to /ui', async () => {
    const answer = await sendHttp(`${serve.httpUrl}/`);
    expect([answer.status, answer.headers['location'], answer.body]).toEqual([302, '/ui', '']);
  });

  it('serves the page with a strict Content-Security-Policy, nosniff and no framing, and no inline script', async () => {
    const { host } = new URL(serve.httpUrl);
    for (const path of ['/ui', '/ui/']) {
      const page = await sendHttp(`${serve.httpUrl}${path}`);
      expect(page.status, path).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.headers['content-security-policy']!.toString().split('; ')).toEqual([
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        `connect-src 'self' ws://${host} wss://${host}`,
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ]);
      const scripts = [...page.body.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)];
      expect(scripts.map(([tag, inline]) => [/src="\/ui\/app\.js"/.test(tag), inline])).toEqual([[true, '']]);
    }
  });

  it('serves the bundle and the style sheet it was built with, and HEAD without a body', async () => {
    const script = await sendHttp(`${serve.httpUrl}/ui/app.js`);
    expect([script.status, script.headers['content-type']]).toEqual([200, 'text/javascript; charset=utf-8']);
    // The bundle carries preact and the package's own client: no module is fetched at run time.
    expect(script.body).not.toMatch(/\bimport\s*["'(]?\s*["']https?:/);
    expect(script.body).toContain('tauon-web-view');
    const style = await sendHttp(`${serve.httpUrl}/ui/style.css`);
    expect([style.status, style.headers['content-type']]).toEqual([200, 'text/css; charset=utf-8']);
    const head = await sendHttp(`${serve.httpUrl}/ui/app.js`, { method: 'HEAD' });
    expect([head.status, head.headers['content-length'], head.body]).toEqual([200, String(Buffer.byteLength(script.body)), '']);
  });

  it('leaves the HTTP API as it was: its routes answer, and other paths under /ui are not found', async () => {
    expect(JSON.parse((await sendHttp(`${serve.httpUrl}/health`)).body)).toEqual({ ok: true });
    expect((await sendHttp(`${serve.httpUrl}/info`)).status).toBe(200);
    const unknown = await sendHttp(`${serve.httpUrl}/ui/secrets.json`);
    expect([unknown.status, JSON.parse(unknown.body)]).toEqual([404, { error: { code: 'not-found', message: 'no route GET /ui/secrets.json' } }]);
    const posted = await sendHttp(`${serve.httpUrl}/ui`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(posted.status).toBe(404);
  });

  it('keeps its browser doors: the page of its own origin passes, another origin and a rebound Host do not', async () => {
    const own = await sendHttp(`${serve.httpUrl}/ui/app.js`, { headers: { origin: serve.httpUrl } });
    expect(own.status).toBe(200);
    const other = await sendHttp(`${serve.httpUrl}/ui`, { headers: { origin: 'http://evil.example' } });
    expect(other.status).toBe(403);
    const rebound = await sendHttp(`${serve.httpUrl}/ui`, { headers: { host: `evil.example:${new URL(serve.httpUrl).port}` } });
    expect(rebound.status).toBe(421);
  });

  it('serves no web view with --no-ui: / and /ui are the API\'s 404, the API answers', async () => {
    for (const path of ['/', '/ui', '/ui/app.js']) {
      const answer = await sendHttp(`${off.httpUrl}${path}`);
      expect([answer.status, (JSON.parse(answer.body) as { error: { code: string } }).error.code], path).toEqual([404, 'not-found']);
    }
    expect(JSON.parse((await sendHttp(`${off.httpUrl}/health`)).body)).toEqual({ ok: true });
  });

  it('ships the built page in the package, with the script that builds it', async () => {
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], { cwd: ROOT, timeout: 60_000 });
    const [described] = JSON.parse(stdout) as { files: { path: string }[] }[];
    const files = described!.files.map((file) => file.path);
    for (const shipped of ['dist/ui/index.html', 'dist/ui/app.js', 'dist/ui/style.css', 'dist/server-reference/http-ui.js', 'scripts/build-ui.js']) {
      expect(files, shipped).toContain(shipped);
    }
    expect(files.filter((file) => file.startsWith('ui/'))).toEqual([]);
  });
});
