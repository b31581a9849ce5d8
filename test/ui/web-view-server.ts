import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { sendHttp } from '../support/http-request.js';

/** Where the browser tests put their screenshots, for a person to look at once. */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../.tmp/ui-screenshots/', import.meta.url));

/** Takes a full-page screenshot named `name`.png in {@link SCREENSHOT_DIR}. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Appends events to a stream over the server's HTTP API; resolves with the `appended` answer. */
export async function appendOverHttp(httpUrl: string, token: string, stream: string, events: unknown[]): Promise<unknown> {
  const answer = await sendHttp(`${httpUrl}/streams/${encodeURIComponent(stream)}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(events),
  });
  if (answer.status !== 201) throw new Error(`append to ${stream}: HTTP ${answer.status} ${answer.body}`);
  return JSON.parse(answer.body) as unknown;
}

/**
 * Writes a configuration of `tauon serve` in `dir`: lmdb in dir/data, loopback on port 0, the
 * given tokens, and one keyed projection (order-count: events of `orders` per key).
 */
export async function writeServeConfig(dir: string, tokens: { name: string; token: string; read: string[]; write?: string[] }[]): Promise<string> {
  await writeFile(
    join(dir, 'order-count.mjs'),
    "export default { name: 'order-count', stream: 'orders', initial: 0, key: (event) => event.key, evolve: (count) => count + 1 };\n",
  );
  // Tokens are secrets: the configuration names files that hold them.
  for (const { name, token } of tokens) await writeFile(join(dir, `${name}.token`), `${token}\n`);
  const config = join(dir, 'tauon.config.json');
  await writeFile(
    config,
    JSON.stringify({
      stores: { main: { kind: 'lmdb', path: './data' } },
      listen: { host: '127.0.0.1', port: 0 },
      auth: { tokens: tokens.map(({ name, read, write }) => ({ name, token: { file: `./${name}.token` }, read, ...(write ? { write } : {}) })) },
      projections: ['./order-count.mjs'],
    }),
  );
  return config;
}
