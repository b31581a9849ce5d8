import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApi } from '../../server-reference/http-api.js';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { listenWs, type WsListener } from '../../transports/ws/index.js';
import { launchChromium, requireChromium } from '../support/chromium.js';

/*
 * CloudEvents from a real browser (headless Chromium): a page of an allowed origin sends a
 * binary-mode CloudEvent (its ce-* headers pass the preflight) and reads the next-page headers
 * of a batch answer; a page of another origin is stopped at the preflight, and nothing is stored.
 */

const hasChromium = requireChromium();

/** Serves an empty page on 127.0.0.1, port 0: an origin of its own. */
async function servePage(): Promise<{ readonly origin: string; readonly server: Server }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><title>page</title>');
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** What the page's script reports of one fetch. */
interface PageFetch { readonly status?: number; readonly next?: string | null; readonly failed?: string }

describe.skipIf(!hasChromium)('CloudEvents from a browser page', () => {
  let browser: Browser;
  let store: MemoryStore;
  let tauon: TauonServer;
  let listener: WsListener;
  let api: string;
  let allowed: { origin: string; server: Server };
  let stranger: { origin: string; server: Server };

  beforeAll(async () => {
    allowed = await servePage();
    stranger = await servePage();
    store = new MemoryStore();
    tauon = new TauonServer({ store, serverId: 'tauon-1' });
    listener = await listenWs({ onRequest: createHttpApi(tauon, { allowOrigins: [allowed.origin] }) });
    await tauon.listen(listener.transport);
    api = listener.url.replace(/^ws/, 'http').replace(/\/$/, '');
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await tauon.close();
    await listener.close();
    await store.close();
    for (const { server } of [allowed, stranger]) await new Promise<void>((closed) => server.close(() => closed()));
  });

  /** Opens a page of `origin`, and runs there a binary-mode POST, then a batch-mode GET. */
  async function fromPage(origin: string, id: string): Promise<{ post: PageFetch; get: PageFetch }> {
    const page = await browser.newPage();
    try {
      await page.goto(origin);
      return await page.evaluate(
        async ({ api, id }) => {
          const url = `${api}/streams/${encodeURIComponent('page events')}/events`;
          const attempt = async (run: () => Promise<Response>): Promise<PageFetch> => {
            try {
              const response = await run();
              return { status: response.status, next: response.headers.get('tauon-next') };
            } catch (error) {
              return { failed: String(error) };
            }
          };
          const post = await attempt(() =>
            fetch(url, {
              method: 'POST',
              headers: { 'ce-specversion': '1.0', 'ce-id': id, 'ce-source': '/page', 'ce-type': 'Clicked', 'ce-subject': 'caf%C3%A9', 'content-type': 'application/json' },
              body: JSON.stringify({ x: 1 }),
            }),
          );
          const get = await attempt(() => fetch(`${url}?limit=1`, { headers: { accept: 'application/cloudevents-batch+json' } }));
          return { post, get };
        },
        { api, id },
      );
    } finally {
      await page.close();
    }
  }

  it('lets an allowed origin post binary mode and read Tauon-Next; stops another origin at the preflight', async () => {
    const first = await fromPage(allowed.origin, 'page-1');
    expect(first.post).toEqual({ status: 201, next: null });
    const second = await fromPage(allowed.origin, 'page-2');
    expect(second.post.status).toBe(201);
    // Two events, a page of one: the next page's start is readable by the page (exposed).
    expect(second.get).toEqual({ status: 200, next: 'after:1' });
    const refused = await fromPage(stranger.origin, 'page-3');
    expect(refused.post.failed).toMatch(/TypeError/);
    expect(refused.get.failed).toMatch(/TypeError/);
    const stored = await store.readStream('page events', 1, 'forward', 10);
    expect(stored.map(({ id, key, meta }) => [id, key, meta])).toEqual([
      ['page-1', 'café', { cesource: '/page' }],
      ['page-2', 'café', { cesource: '/page' }],
    ]);
  });
});
