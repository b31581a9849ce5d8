import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BROWSER_BUILD_OPTIONS, PACKAGE_ROOT } from '../../bench/figures/browser-bundle.js';

/** A small web server of the test: the page and its script, from its own origin. */
export interface PageServer {
  /** `http://127.0.0.1:PORT`: the page's origin, and where it is served. */
  readonly origin: string;
  close(): Promise<void>;
}

/** A file of a page server: its media type and content. */
export interface PageFile {
  readonly type: string;
  readonly body: string;
}

/**
 * A file bundled as an application would bundle it: `tauon/client` and `tauon/transports/ws`
 * through the package's browser exports, into one script.
 */
export async function bundleForPage(entry: string, format: 'iife' | 'esm'): Promise<string> {
  const result = await build({ ...BROWSER_BUILD_OPTIONS, entryPoints: [entry], absWorkingDir: PACKAGE_ROOT, format });
  return result.outputFiles[0]!.text;
}

/**
 * The page of the browser suite, for a `<script>` tag: page-entry.ts (the default codec, JSON)
 * or page-msgpack-entry.ts (a page that chooses msgpack).
 */
export function bundlePage(entry: 'page-entry.ts' | 'page-msgpack-entry.ts' = 'page-entry.ts'): Promise<string> {
  return bundleForPage(fileURLToPath(new URL(`./${entry}`, import.meta.url)), 'iife');
}

const PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>tauon browser test</title></head>' +
  '<body><script src="/page.js"></script></body></html>';

/** The suite's page: `/` and its script at `/page.js`. */
export function suitePage(script: string): Record<string, PageFile> {
  return {
    '/': { type: 'text/html; charset=utf-8', body: PAGE },
    '/page.js': { type: 'text/javascript; charset=utf-8', body: script },
  };
}

/** Serves these files by path on 127.0.0.1, port 0; anything else is 404. */
export async function servePage(files: Readonly<Record<string, PageFile>>): Promise<PageServer> {
  const server: Server = createServer((request, response) => {
    const file = files[(request.url ?? '/').split('?', 1)[0]!];
    if (file === undefined) response.writeHead(404).end();
    else response.writeHead(200, { 'content-type': file.type }).end(file.body);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((closed) => {
        server.close(() => closed());
        server.closeAllConnections();
      }),
  };
}
