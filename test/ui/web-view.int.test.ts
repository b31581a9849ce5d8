import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { connect } from '../../client/index.js';
import { wsTransport } from '../../transports/ws/index.js';
import { launchChromium, requireChromium } from '../support/chromium.js';
import { startServe, type ServeProcess } from '../support/cli-process.js';
import { tempDir } from '../support/temp-dir.js';
import { appendOverHttp, screenshot, writeServeConfig } from './web-view-server.js';

// The web view in headless Chromium against a real `tauon serve` that requires a token: every
// screen, its content asserted, a screenshot of each in .tmp/ui-screenshots/. The tests run in
// order on one page, as a person would click through.

const ADMIN = 'web-view-admin-token-0123456789';
/** May read `orders.*` only. */
const READER = 'web-view-reader-token-0123456789';
/** Written into every event: it must show as text, never become an element. */
const MARKUP = '<img id="injected" src="x">';
/** Events in `orders`: seq i has type order-paid when i % 3 is 0 and key o-(i % 5). */
const ORDER_COUNT = 60;
/** Events 1..FIRST_BATCH are recorded before the jump-to-time mark, the rest after it. */
const FIRST_BATCH = 40;

const hasChromium = requireChromium();

describe.skipIf(!hasChromium)('the web view at /ui', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let serve: ServeProcess;
  let browser: Browser;
  let page: Page;
  let betweenBatches: number;
  const problems: string[] = [];

  const orderEvent = (seq: number) => ({
    id: `order-${seq}`,
    type: seq % 3 === 0 ? 'order-paid' : 'order-placed',
    key: `o-${seq % 5}`,
    data: { total: seq, note: MARKUP },
  });
  /** The seqs of the rows of the events table on the screen. */
  const shownSeqs = async () => (await page.locator('table.events tbody tr').evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-seq')))));
  const show = async (hash: string) => {
    await page.evaluate((target) => (location.hash = target), hash);
  };

  beforeAll(async () => {
    dir = await tempDir('web-view');
    const config = await writeServeConfig(dir.path, [
      { name: 'admin', token: ADMIN, read: ['$all'], write: ['$all'] },
      { name: 'reader', token: READER, read: ['orders.*'] },
    ]);
    serve = await startServe(['--config', config]);
    const first = Array.from({ length: FIRST_BATCH }, (_, index) => orderEvent(index + 1));
    await appendOverHttp(serve.httpUrl, ADMIN, 'orders', first);
    // The store's clock is this machine's: wait until it has moved past the first batch.
    await new Promise((resolve) => setTimeout(resolve, 5));
    betweenBatches = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const rest = Array.from({ length: ORDER_COUNT - FIRST_BATCH }, (_, index) => orderEvent(FIRST_BATCH + index + 1));
    await appendOverHttp(serve.httpUrl, ADMIN, 'orders', rest);
    await appendOverHttp(serve.httpUrl, ADMIN, 'prices', [{ type: 'price-set', key: 'eur', data: { value: 1.08 } }]);
    // A consumer group, made by a member that joins and leaves.
    const client = await connect(wsTransport(serve.url), { token: ADMIN });
    await new Promise<void>((joined, failed) => {
      const member = client.consume('billing', 'orders').subscribe({
        next: () => {
          member.unsubscribe();
          joined();
        },
        error: failed,
      });
    });
    await client.close();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    page.setDefaultTimeout(10_000);
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await dir?.remove();
  });

  it('asks for a token, refuses a wrong one, and shows the streams with a good one (kept in sessionStorage)', async () => {
    const answer = await page.goto(`${serve.httpUrl}/`);
    expect(new URL(page.url()).pathname).toBe('/ui');
    expect(answer?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByText('This server requires a token.').waitFor();
    await screenshot(page, 'token-prompt');
    await page.fill('input[name=token]', 'a-wrong-token-for-the-web-view');
    await page.click('text=Use token');
    await page.getByText('The server refused the token: give another one.').waitFor();
    await page.fill('input[name=token]', ADMIN);
    await page.click('text=Use token');
    await page.locator('tr[data-stream="orders"]').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('tauon.token'))).toBe(ADMIN);
  });

  it('lists the streams with their counts and last activity', async () => {
    const orders = await page.locator('tr[data-stream="orders"] td').allTextContents();
    expect(orders.slice(0, 3)).toEqual(['orders', String(ORDER_COUNT), String(ORDER_COUNT)]);
    expect(orders[3]).toMatch(/^\d{4}-\d\d-\d\dT.*Z \(\d+ s ago\)$/);
    const prices = await page.locator('tr[data-stream="prices"] td').allTextContents();
    expect(prices.slice(0, 3)).toEqual(['prices', '1', '1']);
    await screenshot(page, 'streams');
  });

  it("pages through a stream's events forward and backward", async () => {
    await page.click('tr[data-stream="orders"] a:text("orders")');
    await page.getByText('Events 36 to 60').waitFor();
    expect(await shownSeqs()).toEqual(range(36, 60));
    expect(await page.locator('button:text("Newer →")').isDisabled()).toBe(true);
    await page.click('text=← Older');
    await page.getByText('Events 11 to 35').waitFor();
    await page.click('text=← Older');
    await page.getByText('Events 1 to 10').waitFor();
    expect(await page.locator('button:text("← Older")').isDisabled()).toBe(true);
    await page.click('text=⇤ First');
    await page.getByText('Events 1 to 25').waitFor();
    expect(await shownSeqs()).toEqual(range(1, 25));
    await page.click('text=Newer →');
    await page.getByText('Events 26 to 50').waitFor();
    await page.click('text=Newer →');
    await page.getByText('Events 51 to 60').waitFor();
    await page.click('text=Last ⇥');
    await page.getByText('Events 36 to 60').waitFor();
    // The data is text: the markup in it is shown, never made an element.
    expect(await page.locator('#injected').count()).toBe(0);
    expect(await page.locator('tr[data-seq="60"] td.data').textContent()).toBe(JSON.stringify({ total: 60, note: MARKUP }));
    await screenshot(page, 'stream-events');
  });

  it('filters by type and key', async () => {
    await page.fill('input[name=types]', 'order-paid');
    await page.fill('input[name=keys]', 'o-0');
    await page.click('text=Filter');
    await page.getByText('Events 15 to 60 (filtered)').waitFor();
    expect(await shownSeqs()).toEqual([15, 30, 45, 60]);
    expect(await page.locator('table.events tbody td:nth-child(2)').allTextContents()).toEqual(Array(4).fill('order-paid'));
    await screenshot(page, 'stream-filtered');
    await page.fill('input[name=types]', '');
    await page.fill('input[name=keys]', '');
    await page.click('text=Filter');
    await page.getByText('Events 36 to 60').waitFor();
  });

  it('jumps to a seq, an event id and a time, marking the event jumped to', async () => {
    const jump = async (kind: string, target: string) => {
      await page.selectOption('select[name=jump-kind]', kind);
      await page.fill('input[name=jump-target]', target);
      await page.click('text=Go');
    };
    await jump('seq', '42');
    await page.getByText('Events 42 to 60').waitFor();
    expect(await page.locator('tr.marked').getAttribute('data-seq')).toBe('42');
    await jump('event', 'order-17');
    await page.getByText('Events 17 to 41').waitFor();
    expect(await page.locator('tr.marked').getAttribute('data-seq')).toBe('17');
    await jump('event', `order-${ORDER_COUNT}`);
    await page.getByText(`Events ${ORDER_COUNT} to ${ORDER_COUNT}`).waitFor();
    await jump('time', new Date(betweenBatches).toISOString());
    await page.getByText(`Events ${FIRST_BATCH + 1} to ${ORDER_COUNT}`).waitFor();
    expect(await page.locator('tr.marked').getAttribute('data-seq')).toBe(String(FIRST_BATCH + 1));
    await screenshot(page, 'stream-jump');
    await jump('seq', 'twelve');
    await page.getByText('a seq is a whole number from 1').waitFor();
  });

  it("opens one event's full JSON", async () => {
    await page.click('tr[data-seq="42"] a');
    await page.locator('pre.json').waitFor();
    const shown = JSON.parse((await page.locator('pre.json').textContent())!) as Record<string, unknown>;
    expect(shown).toMatchObject({ ...orderEvent(42), stream: 'orders', seq: 42 });
    expect(shown['recorded']).toBeTypeOf('number');
    expect(await page.locator('#injected').count()).toBe(0);
    await screenshot(page, 'event-json');
    await page.click('text=Next →');
    await page.getByText('"seq": 43').waitFor();
  });

  it("shows a stream's surface: the newest event of each key", async () => {
    await show('#/surface/orders');
    await page.locator('table.surface').waitFor();
    const rows = await page.locator('table.surface tbody tr').evaluateAll((found) =>
      found.map((row) => [...row.querySelectorAll('td')].slice(0, 3).map((cell) => cell.textContent)),
    );
    expect(rows).toEqual([
      ['o-0', 'order-paid', '60'],
      ['o-1', 'order-placed', '56'],
      ['o-2', 'order-paid', '57'],
      ['o-3', 'order-placed', '58'],
      ['o-4', 'order-placed', '59'],
    ]);
    await screenshot(page, 'surface');
  });

  it('follows a pattern live over the WebSocket client, with the token: events appear as they commit', async () => {
    await show('#/follow');
    await page.fill('input[name=selector]', 'orders.*');
    await page.click('button:text("Follow")');
    await page.getByText('Following orders.*: 0 events since.').waitFor();
    await appendOverHttp(serve.httpUrl, ADMIN, 'orders.eu', [{ type: 'order-placed', key: 'eu-1', data: { total: 7 } }]);
    await appendOverHttp(serve.httpUrl, ADMIN, 'orders', [orderEvent(ORDER_COUNT + 1)]);
    await appendOverHttp(serve.httpUrl, ADMIN, 'orders.us', [{ type: 'order-paid', key: 'us-1', data: { total: 9 } }]);
    await page.getByText('Following orders.*: 2 events since.').waitFor();
    const rows = await page.locator('table.events tbody tr').evaluateAll((found) =>
      found.map((row) => [...row.querySelectorAll('td')].slice(0, 4).map((cell) => cell.textContent)),
    );
    // Newest first; `orders` itself is not under `orders.*`.
    expect(rows).toEqual([
      ['orders.us', '1', 'order-paid', 'us-1'],
      ['orders.eu', '1', 'order-placed', 'eu-1'],
    ]);
    await screenshot(page, 'follow');
  });

  it("shows the server's info", async () => {
    await page.click('nav a:text("Server")');
    await page.locator('tr[data-fact="server"]').waitFor();
    const serverId = /server id (\S+),/.exec(serve.output())![1];
    expect(await page.locator('tr[data-fact="server"] td').textContent()).toBe(serverId);
    expect(await page.locator('tr[data-fact="stores"] td').textContent()).toBe('["lmdb"]');
    expect(Number(await page.locator('tr[data-fact="head"] td').textContent())).toBe(ORDER_COUNT + 4);
    expect(await page.locator('tr[data-fact="projections"] td').textContent()).toContain('order-count');
    await screenshot(page, 'server-info');
  });

  it('lists the consumer groups, and opens one', async () => {
    await page.click('nav a:text("Groups")');
    await page.locator('tr[data-group="billing"]').waitFor();
    const cells = await page.locator('tr[data-group="billing"] td').allTextContents();
    expect(cells.slice(0, 2)).toEqual(['billing', 'orders']);
    await screenshot(page, 'groups');
    await page.click('tr[data-group="billing"] a');
    await page.locator('pre.json').waitFor();
    expect(JSON.parse((await page.locator('pre.json').textContent())!)).toMatchObject({ group: 'billing', stream: 'orders' });
  });

  it('lists the projections, and opens one with its state', async () => {
    await page.click('nav a:text("Projections")');
    await page.locator('tr[data-projection="order-count"]').waitFor();
    expect(await page.locator('tr[data-projection="order-count"] td').allTextContents()).toEqual(['order-count', 'orders', 'yes', 'running', '']);
    await screenshot(page, 'projections');
    await page.click('tr[data-projection="order-count"] a');
    await page.locator('pre.json').waitFor();
    const state = JSON.parse((await page.locator('pre.json').textContent())!) as { name: string; entries: { key: string }[] };
    expect(state.name).toBe('order-count');
    expect(state.entries.map((entry) => entry.key)).toEqual(['o-0', 'o-1', 'o-2', 'o-3', 'o-4']);
    await screenshot(page, 'projection-state');
  });

  it("shows another token only what it may read, after the Token screen swapped it", async () => {
    await page.click('nav a:text("Token")');
    await page.getByText('A token is kept for this tab.').waitFor();
    await page.fill('input[name=token]', READER);
    await page.click('text=Use token');
    await page.locator('tr[data-stream="orders.eu"]').waitFor();
    const listed = await page.locator('table.streams tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-stream')));
    expect(listed).toEqual(['orders.eu', 'orders.us']);
    await show('#/stream/prices');
    await page.getByText('forbidden').waitFor();
    expect(await page.locator('.error').textContent()).toContain('prices');
    await screenshot(page, 'forbidden');
  });

  it('broke no Content-Security-Policy rule and threw no error on the way', () => {
    expect(problems).toEqual([]);
  });
});

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, index) => first + index);
}
