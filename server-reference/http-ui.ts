import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Options of the web view (docs/web-view.md), as createHttpApi takes them. */
export interface HttpUiOptions {
  /**
   * Serve the web view: the page at `/ui` (and its files under `/ui/`), `/` redirecting to it.
   * False leaves both to the HTTP API (404 `not-found`).
   * @default true
   */
  readonly ui?: boolean;
}

/** The files of the built web view (scripts/build-ui.js), by the path they are served at. */
const UI_FILES: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  '/ui': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/**
 * Where the built files are: dist/ui/ beside dist/server-reference/ in the package, or dist/ui/
 * of the checkout when the server runs from its TypeScript sources (tests).
 */
const UI_DIRECTORIES = [new URL('../ui/', import.meta.url), new URL('../dist/ui/', import.meta.url)];

/** A host as a Host header names it (name or address, port): safe to put in a header. */
const PLAIN_HOST = /^[A-Za-z0-9.\-:[\]]{1,255}$/;

/** The built files, read once: a few tens of kilobytes. */
let loaded: Map<string, Buffer> | undefined;

function loadFiles(): Map<string, Buffer> | undefined {
  if (loaded !== undefined) return loaded;
  for (const directory of UI_DIRECTORIES) {
    try {
      const files = new Map<string, Buffer>();
      for (const name of new Set(Object.values(UI_FILES).map(({ file }) => file))) {
        files.set(name, readFileSync(new URL(name, directory)));
      }
      loaded = files;
      return files;
    } catch {
      // Not built here (the sources' ui/ has no app.js): try the next place.
    }
  }
  return undefined;
}

/**
 * The page's Content-Security-Policy: its own scripts, styles and requests only (and the
 * WebSocket of its own host), no inline script, no frames, no plugins.
 */
function contentSecurityPolicy(host: string | undefined): string {
  const sockets = host !== undefined && PLAIN_HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src 'self'${sockets}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Answers the web view's requests: `GET`/`HEAD` of `/` (a redirect to `/ui`), `/ui`, `/ui/` and
 * the page's files. Returns false for any other request, which the HTTP API then answers. The
 * files are the ones `npm run build` put in dist/ui/; when they are missing the page answers 503
 * saying so.
 */
export function answerUiRequest(request: IncomingMessage, response: ServerResponse): boolean {
  const method = request.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') return false;
  const path = (request.url ?? '/').split('?', 1)[0]!;
  if (path === '/') {
    response.writeHead(302, { location: '/ui', 'content-length': 0 });
    response.end();
    return true;
  }
  const entry = UI_FILES[path];
  if (entry === undefined) return false;
  const headers = {
    'content-security-policy': contentSecurityPolicy(request.headers.host),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
  const body = loadFiles()?.get(entry.file);
  if (body === undefined) {
    const text = 'the web view is not built: run npm run build (it writes dist/ui/)\n';
    response.writeHead(503, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    response.end(method === 'HEAD' ? undefined : text);
    return true;
  }
  response.writeHead(200, { ...headers, 'content-type': entry.type, 'content-length': body.byteLength });
  response.end(method === 'HEAD' ? undefined : body);
  return true;
}
