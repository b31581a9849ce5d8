// Builds the web view (ui/) into dist/ui/: one bundle of the page's code (preact and the
// package's own client, bundled by esbuild), its page and its style sheet. Run by `npm run build`
// after tsc; nothing of it is fetched at run time. A few hundred milliseconds.
import { copyFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = new URL('../', import.meta.url);
const source = (name) => fileURLToPath(new URL(`ui/${name}`, root));
const outDir = fileURLToPath(new URL('dist/ui/', root));

await mkdir(outDir, { recursive: true });
await build({
  entryPoints: [source('main.tsx')],
  outfile: `${outDir}app.js`,
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  // The ws transport loads the `ws` package only where no global WebSocket exists: never in a browser.
  external: ['ws'],
  // The page speaks JSON: the browser's choice of codec, which keeps msgpackr out of the bundle
  // (tsconfig's paths would otherwise send #client-codec to the Node choice).
  alias: { '#client-codec': fileURLToPath(new URL('client/codec-choice.browser.ts', root)) },
  logLevel: 'warning',
});
await Promise.all(['index.html', 'style.css'].map((name) => copyFile(source(name), `${outDir}${name}`)));
