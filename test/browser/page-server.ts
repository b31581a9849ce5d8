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

/**
 * page-entry.ts bundled as an application would bundle it: `tauon/client` and
 * `tauon/transports/ws` through the package's browser exports, one script for a `<script>` tag.
 */
export async function bundlePage(): Promise<string> {
  const result = await build({
    ...BROWSER_BUILD_OPTIONS,
    entryPoints: [fileURLToPath(new URL('./page-entry.ts', import.meta.url))],
    absWorkingDir: PACKAGE_ROOT,
    format: 'iife',
  });
  return result.outputFiles[0]!.text;
}

const PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>tauon browser test</title></head>' +
  '<body><script src="/page.js"></script></body></html>';

/** Serves the page at `/` and the bundle at `/page.js` on 127.0.0.1, port 0. */
export async function servePage(script: string): Promise<PageServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    } else if (path === '/page.js') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
    } else {
      response.writeHead(404).end();
    }
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
