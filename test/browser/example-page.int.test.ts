import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, requireChromium } from '../support/chromium.js';
import { startServe } from '../support/cli-process.js';
import { tempDir } from '../support/temp-dir.js';
import { bundleForPage, servePage } from './page-server.js';

// examples/browser/ as its README runs it: index.html and app.ts bundled for the browser, served
// from an origin of their own, against `tauon serve --allow-origin` that origin; a user clicks.

const hasChromium = requireChromium();
const EXAMPLE = new URL('../../examples/browser/', import.meta.url);
const WAIT_MS = 20_000;

/** The texts of the page's event list, in order. */
function listed(page: Page): Promise<string[]> {
  return page.locator('#events li').allTextContents();
}

describe.skipIf(!hasChromium)('examples/browser in Chromium', () => {
  let browser: Browser;
  const cleanups: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(() => browser?.close());
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
  });

  it('connects, emits, replays and follows as its buttons say', async () => {
    const [html, script] = await Promise.all([
      readFile(new URL('index.html', EXAMPLE), 'utf8'),
      bundleForPage(fileURLToPath(new URL('app.ts', EXAMPLE)), 'esm'),
    ]);
    const pages = await servePage({
      '/': { type: 'text/html; charset=utf-8', body: html },
      '/dist/app.js': { type: 'text/javascript; charset=utf-8', body: script },
    });
    cleanups.push(() => pages.close());
    const data = await tempDir('browser-example');
    cleanups.push(() => data.remove());
    const server = await startServe(['--data', data.path, '--port', '0', '--allow-origin', pages.origin]);
    cleanups.push(() => server.stop());
    const context = await browser.newContext();
    cleanups.push(() => context.close());
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${pages.origin}/`);

    await page.fill('#server', server.url);
    await page.click('#connect');
    await page.waitForSelector('#status[data-state="connected"]', { timeout: WAIT_MS });
    /** Emits one message and waits for the page to show its seq. */
    const emit = async (text: string, seq: number): Promise<void> => {
      await page.fill('#text', text);
      await page.click('#emit');
      const shown = `stored as seq ${seq} of browser-demo`;
      await page.waitForFunction((expected) => document.getElementById('emitted')?.textContent === expected, shown, { timeout: WAIT_MS });
    };
    await emit('one', 1);
    await emit('two', 2);
    await emit('three', 3);

    await page.click('#replay');
    await page.waitForFunction(() => document.getElementById('summary')?.textContent === 'replayed 3 events', undefined, { timeout: WAIT_MS });
    expect(await listed(page)).toEqual(['MessagePosted "one" (replay)', 'MessagePosted "two" (replay)', 'MessagePosted "three" (replay)']);

    await page.click('#follow');
    await page.waitForFunction(() => document.querySelectorAll('#events li').length === 3, undefined, { timeout: WAIT_MS });
    await emit('four', 4);
    await page.waitForFunction(() => document.getElementById('summary')?.textContent === 'following: 4 events', undefined, { timeout: WAIT_MS });
    expect(await listed(page)).toEqual(['one', 'two', 'three', 'four'].map((text) => `MessagePosted "${text}" (follow)`));
    expect(await page.locator('#events li').evaluateAll((items) => items.map((item) => (item as HTMLLIElement).value))).toEqual([1, 2, 3, 4]);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
