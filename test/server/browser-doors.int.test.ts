import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connect } from '../../client/index.js';
import { createHttpApi } from '../../server-reference/http-api.js';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { WsServerTransport, wsTransport, type BrowserGuardOptions } from '../../transports/ws/index.js';
import { sendHttp } from '../support/http-request.js';

/** A reference server with the HTTP API and WebSocket on one loopback port, as `tauon serve` runs them. */
interface Doors {
  readonly server: TauonServer;
  readonly store: MemoryStore;
  readonly port: number;
  readonly http: string;
  readonly ws: string;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startDoors(options: BrowserGuardOptions = {}): Promise<Doors> {
  const store = new MemoryStore();
  const server = new TauonServer({ store });
  const http: Server = createServer(createHttpApi(server, options));
  await server.listen(new WsServerTransport({ server: http, ...options }));
  await new Promise<void>((ready) => http.listen(0, '127.0.0.1', ready));
  const { port } = http.address() as AddressInfo;
  cleanups.push(async () => {
    await server.close();
    await new Promise<void>((closed) => {
      http.close(() => closed());
      http.closeAllConnections();
    });
    await store.close();
  });
  return { server, store, port, http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/` };
}

/** Opens a WebSocket with these upgrade headers: the status it was refused with and the body, or "open". */
function upgrade(url: string, headers: Record<string, string>): Promise<{ status: number | 'open'; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.on('open', () => {
      socket.close();
      resolve({ status: 'open', body: '' });
    });
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    socket.on('error', reject);
  });
}

const EVIL = 'https://evil.example';
const APP = 'https://app.example.com';

describe('the WebSocket upgrade and browser origins', () => {
  it('refuses a page of another origin with 403 before any frame, and lets programs without an Origin in', async () => {
    const doors = await startDoors();
    const refused = await upgrade(doors.ws, { Origin: EVIL });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('"https://evil.example" may not use this server');
    expect(doors.server.connectionCount, 'no session was opened').toBe(0);
    // The Tauon client says why it cannot connect.
    await expect(wsTransport(doors.ws, { headers: { Origin: EVIL } }).connect()).rejects.toMatchObject({
      code: 'closed',
      message: expect.stringContaining('403') as unknown,
    });
    expect(await upgrade(doors.ws, {}), 'no Origin: not a browser').toEqual({ status: 'open', body: '' });
    // A page of the server's own origin (behind a proxy that serves the app too) may.
    expect((await upgrade(doors.ws, { Origin: `http://127.0.0.1:${doors.port}` })).status).toBe('open');
    expect((await upgrade(doors.ws, { Origin: `http://127.0.0.1:${doors.port + 1}` })).status, 'another port is another origin').toBe(403);
    expect((await upgrade(doors.ws, { Origin: 'null' })).status, 'a sandboxed page').toBe(403);
  });

  it('lets the pages of the allowed origins in, and every page with "*"', async () => {
    const doors = await startDoors({ allowOrigins: [APP, 'http://localhost:5173/'] });
    expect((await upgrade(doors.ws, { Origin: APP })).status).toBe('open');
    expect((await upgrade(doors.ws, { Origin: 'http://localhost:5173' })).status, 'written with a trailing slash').toBe('open');
    expect((await upgrade(doors.ws, { Origin: 'https://APP.example.com:443' })).status, 'as browsers serialize it').toBe('open');
    expect((await upgrade(doors.ws, { Origin: 'http://app.example.com' })).status, 'another scheme').toBe(403);
    expect((await upgrade(doors.ws, { Origin: EVIL })).status).toBe(403);
    const open = await startDoors({ allowOrigins: ['*'] });
    expect((await upgrade(open.ws, { Origin: EVIL })).status).toBe('open');
  });

  it('refuses on loopback an upgrade whose Host is not a loopback name (DNS rebinding), unless allowed', async () => {
    const doors = await startDoors();
    const rebound = await upgrade(doors.ws, { Host: `evil.example:${doors.port}` });
    expect(rebound.status).toBe(421);
    expect(rebound.body).toContain('evil.example');
    // Same origin by the page's own name does not help a rebinding page.
    expect((await upgrade(doors.ws, { Host: `evil.example:${doors.port}`, Origin: `http://evil.example:${doors.port}` })).status).toBe(421);
    for (const host of [`localhost:${doors.port}`, `127.0.0.1:${doors.port}`, `127.1.2.3`, `[::1]:${doors.port}`, `app.localhost:${doors.port}`]) {
      expect((await upgrade(doors.ws, { Host: host })).status, host).toBe('open');
    }
    expect((await upgrade(doors.ws, { Host: `evil.example@127.0.0.1:${doors.port}` })).status, 'not a host name').toBe(421);
    const named = await startDoors({ allowHosts: ['tauon.internal'] });
    expect((await upgrade(named.ws, { Host: `tauon.internal:${named.port}` })).status).toBe('open');
    expect((await upgrade(named.ws, { Host: `TAUON.internal` })).status, 'names are case-insensitive').toBe('open');
    expect((await upgrade(named.ws, { Host: `evil.example` })).status).toBe(421);
    const any = await startDoors({ allowHosts: ['*'] });
    expect((await upgrade(any.ws, { Host: 'evil.example' })).status).toBe('open');
  });
});

describe('the HTTP API and browsers', () => {
  it('refuses a text/plain POST with 415 and stores nothing; takes application/json with a charset', async () => {
    const doors = await startDoors();
    const url = `${doors.http}/streams/doors-415/events`;
    // What any page can send without a preflight: a "simple" request.
    const plain = await sendHttp(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"type":"Forged"}' });
    expect(plain.status).toBe(415);
    expect(JSON.parse(plain.body)).toEqual({
      error: { code: 'bad-frame', message: expect.stringContaining('application/json') as unknown, details: { contentType: 'text/plain' } },
    });
    const none = await sendHttp(url, { method: 'POST', body: '{"type":"Forged"}' });
    expect(none.status).toBe(415);
    const form = await sendHttp(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'type=Forged' });
    expect(form.status).toBe(415);
    const page = await sendHttp(`${url}?from=start`);
    expect(JSON.parse(page.body)).toMatchObject({ events: [] });
    const json = await sendHttp(url, { method: 'POST', headers: { 'content-type': 'Application/JSON; charset=utf-8' }, body: '{"type":"Kept"}' });
    expect(json.status).toBe(201);
    expect(JSON.parse(json.body)).toMatchObject({ type: 'appended', stream: 'doors-415', seqs: [1] });
  });

  it('answers CORS for an allowed origin: the preflight, then the request', async () => {
    const doors = await startDoors({ allowOrigins: [APP] });
    const preflight = await sendHttp(`${doors.http}/streams/doors-cors/events`, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': 'Authorization, Content-Type',
      'access-control-max-age': '3600',
      vary: 'Origin',
    });
    const posted = await sendHttp(`${doors.http}/streams/doors-cors/events`, {
      method: 'POST',
      headers: { origin: APP, 'content-type': 'application/json' },
      body: '[{"type":"FromPage"}]',
    });
    expect(posted.status).toBe(201);
    expect(posted.headers['access-control-allow-origin']).toBe(APP);
    expect(posted.headers['vary']).toBe('Origin');
    const read = await sendHttp(`${doors.http}/streams/doors-cors/events`, { headers: { origin: APP } });
    expect(read.headers['access-control-allow-origin']).toBe(APP);
    expect(JSON.parse(read.body)).toMatchObject({ events: [{ type: 'FromPage' }] });
    // Errors carry the CORS headers too, so that the page can read why.
    const missing = await sendHttp(`${doors.http}/nowhere`, { headers: { origin: APP } });
    expect(missing.status).toBe(404);
    expect(missing.headers['access-control-allow-origin']).toBe(APP);
  });

  it('refuses the requests and preflights of other origins with 403, and names no origin to them', async () => {
    const doors = await startDoors({ allowOrigins: [APP] });
    const preflight = await sendHttp(`${doors.http}/streams/doors-evil/events`, {
      method: 'OPTIONS',
      headers: { origin: EVIL, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    for (const [method, headers, body] of [
      ['GET', {}, undefined],
      ['POST', { 'content-type': 'application/json' }, '{"type":"Forged"}'],
    ] as const) {
      const answer = await sendHttp(`${doors.http}/streams/doors-evil/events`, { method, headers: { origin: EVIL, ...headers }, ...(body === undefined ? {} : { body }) });
      expect(answer.status, method).toBe(403);
      expect(answer.headers['access-control-allow-origin'], method).toBeUndefined();
      expect(JSON.parse(answer.body), method).toEqual({ error: { code: 'forbidden', message: expect.stringContaining('evil.example') as unknown } });
    }
    expect((await doors.store.headPosition()), 'nothing was stored').toBe(0);
    // Programs send no Origin: they pass, and get no CORS headers.
    const program = await sendHttp(`${doors.http}/health`);
    expect(program.status).toBe(200);
    expect(program.headers['access-control-allow-origin']).toBeUndefined();
    const options = await sendHttp(`${doors.http}/health`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers['allow']).toBe('GET, POST, OPTIONS');
  });

  it('refuses on loopback a request whose Host is not a loopback name with 421', async () => {
    const doors = await startDoors();
    const rebound = await sendHttp(`${doors.http}/streams`, { headers: { host: `evil.example:${doors.port}` } });
    expect(rebound.status).toBe(421);
    expect(JSON.parse(rebound.body)).toEqual({ error: { code: 'forbidden', message: expect.stringContaining('"evil.example:') as unknown } });
    const posted = await sendHttp(`${doors.http}/streams/doors-rebind/events`, {
      method: 'POST',
      headers: { host: `evil.example:${doors.port}`, origin: `http://evil.example:${doors.port}`, 'content-type': 'application/json' },
      body: '{"type":"Forged"}',
    });
    expect(posted.status).toBe(421);
    expect(await doors.store.headPosition()).toBe(0);
    expect((await sendHttp(`${doors.http}/health`, { headers: { host: `localhost:${doors.port}` } })).status).toBe(200);
    const named = await startDoors({ allowHosts: ['tauon.internal'] });
    expect((await sendHttp(`${named.http}/health`, { headers: { host: 'tauon.internal' } })).status).toBe(200);
  });

  it('keeps the client working beside it', async () => {
    const doors = await startDoors({ allowOrigins: [APP] });
    const client = await connect(wsTransport(doors.ws), { reconnect: { enabled: false } });
    try {
      expect((await client.emit('doors-client', { type: 'Fine' })).seq).toBe(1);
    } finally {
      await client.close();
    }
  });
});
