import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { wsTransport } from '../../transports/ws/index.js';
import { launchChromium, requireChromium } from '../support/chromium.js';
import { startServe, type ServeProcess } from '../support/cli-process.js';
import { tempDir } from '../support/temp-dir.js';
import type { SeenEvent } from './page-api.js';
import { bundlePage, servePage, suitePage, type PageServer } from './page-server.js';

// The client as a web application runs it: page-entry.ts bundled from the package's browser
// exports (JSON frames: the default codec of a browser build), in headless Chromium, against `tauon serve` (lmdb) in a child process that is killed
// (SIGKILL) and started again on the same port and data directory. The page comes from a web
// server of the test, of another origin than the Tauon server: `--allow-origin` lets it in.

const hasChromium = requireChromium();
const STREAM = 'browser-counter';
const WAIT_MS = 20_000;

/** `count` numbers from `from`: the n of the events, or (from 1) their seqs. */
const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

/** The first byte of each WebSocket frame a page sent and received, as Chromium saw them on the wire. */
interface WireBytes {
  readonly sent: number[];
  readonly received: number[];
}

/** The first byte of a frame's payload (a text frame's first character code). */
const firstByte = (payload: string | Buffer): number => (typeof payload === 'string' ? payload.charCodeAt(0) : payload[0]!);

/** `{`: every JSON frame starts with it, and no msgpack frame does. */
const JSON_FIRST_BYTE = 0x7b;

/** Checks that events are seqs 1..count carrying n 0..count-1, in order: no gap, no duplicate. */
function expectWhole(events: readonly SeenEvent[], count: number): void {
  expect(events.length).toBe(count);
  expect(events.map((event) => event.seq)).toEqual(range(1, count));
  expect(events.map((event) => event.n)).toEqual(range(0, count));
}

describe.skipIf(!hasChromium)('the client in Chromium', () => {
  let browser: Browser;
  let script: string;
  let msgpackScript: string;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    [browser, script, msgpackScript] = await Promise.all([launchChromium(), bundlePage(), bundlePage('page-msgpack-entry.ts')]);
  });
  afterAll(() => browser?.close());
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
  });

  /** A fresh browser page at the page server's origin, with the bundle loaded; `wire` gathers its WebSocket frames. */
  async function openPage(pages: PageServer, wire: WireBytes = { sent: [], received: [] }): Promise<Page> {
    const context = await browser.newContext();
    cleanups.push(() => context.close());
    const page = await context.newPage();
    page.on('websocket', (socket) => {
      socket.on('framesent', ({ payload }) => wire.sent.push(firstByte(payload)));
      socket.on('framereceived', ({ payload }) => wire.received.push(firstByte(payload)));
    });
    await page.goto(`${pages.origin}/`);
    await page.waitForFunction(() => window.tauonPage !== undefined);
    return page;
  }

  async function serve(dir: string, port: number, origin: string): Promise<ServeProcess> {
    const server = await startServe(['--data', dir, '--port', String(port), '--allow-origin', origin]);
    cleanups.push(() => server.stop('SIGKILL'));
    return server;
  }

  it('emits, replays cold, follows hot-cold, and resumes without gap or duplicate after the server is killed and restarted', async () => {
    const data = await tempDir('browser');
    cleanups.push(() => data.remove());
    const pages = await servePage(suitePage(script));
    cleanups.push(() => pages.close());
    let server = await serve(data.path, 0, pages.origin);
    const port = Number(new URL(server.url).port);
    const wire: WireBytes = { sent: [], received: [] };
    const page = await openPage(pages, wire);
    cleanups.push(() => page.evaluate(() => window.tauonPage.close()));

    await page.evaluate((url) => window.tauonPage.open(url), server.url);
    const firstSeqs = await page.evaluate((stream) => window.tauonPage.emit(stream, 0, 200), STREAM);
    expect(firstSeqs, 'emits issued together are stored in their order').toEqual(range(1, 200));
    expectWhole(await page.evaluate((stream) => window.tauonPage.replay(stream), STREAM), 200);

    // The HTTP API answers the page's cross-origin fetch, with the CORS header that lets it read the answer.
    const fetched = await page.evaluate(([httpUrl, stream]) => window.tauonPage.fetchEvents(httpUrl, stream), [server.httpUrl, STREAM] as const);
    expect(fetched).toEqual({ status: 200, events: 200 });

    // Hot-cold: the history, then what is emitted after it.
    await page.evaluate((stream) => window.tauonPage.follow(stream), STREAM);
    await page.waitForFunction(() => window.tauonPage.followed().events.length >= 200, undefined, { timeout: WAIT_MS });
    expect(await page.evaluate((stream) => window.tauonPage.emit(stream, 200, 50), STREAM)).toEqual(range(201, 50));
    await page.waitForFunction(() => window.tauonPage.followed().events.length >= 250, undefined, { timeout: WAIT_MS });

    // The server dies without a word; the page notices and dials again.
    await server.stop('SIGKILL');
    await page.waitForFunction(() => window.tauonPage.states().at(-1) === 'reconnecting', undefined, { timeout: WAIT_MS });
    // Emitted while no server runs: they wait in the client and go out once it is back.
    const emittedDuringOutage = page.evaluate((stream) => window.tauonPage.emit(stream, 250, 100), STREAM);
    server = await serve(data.path, port, pages.origin);
    expect(await emittedDuringOutage).toEqual(range(251, 100));

    // Another writer (a Node program, no Origin) after the restart: the follower sees its events too.
    const writer = await connect(wsTransport(server.url));
    try {
      const ack = await writer.emit(STREAM, range(350, 50).map((n) => ({ type: 'Counted', data: { n } })));
      expect(ack.seqs).toEqual(range(351, 50));
    } finally {
      await writer.close();
    }
    await page.waitForFunction(() => window.tauonPage.followed().events.length >= 400, undefined, { timeout: WAIT_MS });
    const followed = await page.evaluate(() => window.tauonPage.followed());
    expect(followed.error).toBeUndefined();
    expectWhole(followed.events, 400);
    expectWhole(await page.evaluate((stream) => window.tauonPage.replay(stream), STREAM), 400);

    const states = await page.evaluate(() => window.tauonPage.states());
    expect(states[0]).toBe('connected');
    expect(states.slice(1)).toContain('reconnecting');
    expect(states.at(-1)).toBe('connected');

    // JSON both ways, on every connection: the page chose no codec, and the server answers in the client's.
    expect(wire.sent.length).toBeGreaterThan(0);
    expect(wire.received.length).toBeGreaterThan(0);
    expect(wire.sent.filter((byte) => byte !== JSON_FIRST_BYTE), 'frames the page sent that are not JSON').toEqual([]);
    expect(wire.received.filter((byte) => byte !== JSON_FIRST_BYTE), 'frames the page received that are not JSON').toEqual([]);
  }, 120_000);

  it('speaks msgpack when the page passes msgpackCodec: emits, replays and follows', async () => {
    const data = await tempDir('browser-msgpack');
    cleanups.push(() => data.remove());
    const pages = await servePage(suitePage(msgpackScript));
    cleanups.push(() => pages.close());
    const server = await serve(data.path, 0, pages.origin);
    const wire: WireBytes = { sent: [], received: [] };
    const page = await openPage(pages, wire);
    cleanups.push(() => page.evaluate(() => window.tauonPage.close()));

    await page.evaluate((url) => window.tauonPage.open(url), server.url);
    expect(await page.evaluate((stream) => window.tauonPage.emit(stream, 0, 100), STREAM)).toEqual(range(1, 100));
    expectWhole(await page.evaluate((stream) => window.tauonPage.replay(stream), STREAM), 100);
    await page.evaluate((stream) => window.tauonPage.follow(stream), STREAM);
    expect(await page.evaluate((stream) => window.tauonPage.emit(stream, 100, 20), STREAM)).toEqual(range(101, 20));
    await page.waitForFunction(() => window.tauonPage.followed().events.length >= 120, undefined, { timeout: WAIT_MS });
    const followed = await page.evaluate(() => window.tauonPage.followed());
    expect(followed.error).toBeUndefined();
    expectWhole(followed.events, 120);

    expect(wire.sent.length).toBeGreaterThan(0);
    expect(wire.received.length).toBeGreaterThan(0);
    expect(wire.sent.filter((byte) => byte === JSON_FIRST_BYTE), 'JSON frames the page sent').toEqual([]);
    expect(wire.received.filter((byte) => byte === JSON_FIRST_BYTE), 'JSON frames the page received').toEqual([]);
  }, 60_000);

  it('is refused by a server that does not allow its origin, before any frame', async () => {
    const data = await tempDir('browser-origin');
    cleanups.push(() => data.remove());
    const allowed = await servePage(suitePage(script));
    cleanups.push(() => allowed.close());
    const other = await servePage(suitePage(script));
    cleanups.push(() => other.close());
    const server = await serve(data.path, 0, allowed.origin);
    const page = await openPage(other);

    const refused = await page.evaluate((url) => window.tauonPage.open(url).then(() => 'open', (error: unknown) => String(error)), server.url);
    expect(refused).toContain('cannot connect');
    // Its fetch of the HTTP API gets no CORS header, so the browser keeps the answer from it.
    const fetched = await page.evaluate(
      ([httpUrl, stream]) => window.tauonPage.fetchEvents(httpUrl, stream).then(() => 'read', (error: unknown) => String(error)),
      [server.httpUrl, STREAM] as const,
    );
    expect(fetched).toContain('TypeError');
    expect(server.child.exitCode, 'the server still runs').toBeNull();
  }, 60_000);
});
