// The browser bundle: what a web application pays to use Tauon, measured as a user's bundler
// builds it. `tauon/client` and `tauon/transports/ws` are resolved through the package's
// exports with the "browser" condition (dist/, so `npm run build` comes first), bundled by
// esbuild for the browser platform, minified, then gzipped. The esbuild metafile says what went
// in: no Node builtin and no file of the reference server may.
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { figure, type Figure } from '../figure.js';

/** The budget of the minified, gzipped bundle of `tauon/client` + `tauon/transports/ws`, in KB (1,000 bytes). */
export const BROWSER_BUNDLE_BUDGET_KB = 40;

/** The package root: bare `tauon/...` imports resolve from here to the package's own exports. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * esbuild options of a browser build of code that imports `tauon/...`. `tsconfigRaw` keeps
 * esbuild from reading tsconfig.json, whose `paths` point `tauon/...` at the Node sources: the
 * imports then resolve as in an application, through package.json "exports".
 */
export const BROWSER_BUILD_OPTIONS = {
  bundle: true,
  platform: 'browser',
  conditions: ['browser'],
  target: 'es2022',
  tsconfigRaw: {},
  write: false,
  logLevel: 'silent',
} as const satisfies BuildOptions;

/** The whole public surface of both entries: the most an application can pull in. */
export const WHOLE_SURFACE_ENTRY = "export * from 'tauon/client';\nexport * from 'tauon/transports/ws';\n";

/** What the smallest application takes: `connect` and `wsTransport`, kept by using them. */
export const CONNECT_ENTRY = "import { connect } from 'tauon/client';\nimport { wsTransport } from 'tauon/transports/ws';\nexport const used = [connect, wsTransport];\n";

/** Node builtins, bare and `node:`-prefixed: kept out of the build so that the metafile can name them. */
const NODE_BUILTINS = [...builtinModules, ...builtinModules.map((name) => `node:${name}`), 'node:*'];

/** The size of the browser bundle and what it is made of. */
export interface BrowserBundleSize {
  /** Minified bytes. */
  readonly bytes: number;
  /** Minified, then gzipped (default level), bytes. */
  readonly gzipBytes: number;
  /** Input files, relative to the package root, with the bytes each left in the output. */
  readonly inputs: readonly { readonly path: string; readonly bytes: number }[];
  /** Node builtins something in the bundle imports (none is the goal). */
  readonly nodeImports: readonly string[];
  /** Files of the reference server in the bundle (none is the goal). */
  readonly serverFiles: readonly string[];
  /** Node-only packages in the bundle: `ws` beyond the stub it gives browsers (none is the goal). */
  readonly nodeOnlyPackageFiles: readonly string[];
}

/** What the metafile says was imported from Node's builtins. */
function nodeImportsOf(metafile: Metafile): string[] {
  const imports = Object.values(metafile.inputs).flatMap((input) => input.imports.map((imported) => imported.path));
  return [...new Set(imports.filter((path) => path.startsWith('node:') || builtinModules.includes(path)))].sort();
}

/**
 * Bundles `tauon/client` + `tauon/transports/ws` for the browser and measures the result.
 * @param entry the application's module: by default {@link WHOLE_SURFACE_ENTRY}.
 */
export async function measureBrowserBundle(entry: string = WHOLE_SURFACE_ENTRY): Promise<BrowserBundleSize> {
  const result = await build({
    ...BROWSER_BUILD_OPTIONS,
    stdin: { contents: entry, resolveDir: PACKAGE_ROOT, loader: 'ts', sourcefile: 'browser-bundle-entry.ts' },
    format: 'esm',
    minify: true,
    metafile: true,
    external: NODE_BUILTINS,
  });
  const code = result.outputFiles[0]!.contents;
  const output = Object.values(result.metafile.outputs)[0]!;
  const inputs = Object.entries(output.inputs)
    .map(([path, input]) => ({ path, bytes: input.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes);
  const paths = Object.keys(result.metafile.inputs);
  return {
    bytes: code.length,
    gzipBytes: gzipSync(code).length,
    inputs,
    nodeImports: nodeImportsOf(result.metafile),
    serverFiles: paths.filter((path) => path.includes('server-reference/')),
    // `ws` maps itself to a stub that throws for browsers (ws/browser.js): the client's
    // `import('ws')` of Node lands there and is never called where a global WebSocket exists.
    nodeOnlyPackageFiles: paths.filter((path) => /node_modules\/(ws|amqplib|lmdb|pg)\//.test(path) && !path.endsWith('node_modules/ws/browser.js')),
  };
}

/** Bytes per package (node_modules) or per top directory of the package (dist/client, ...), largest first. */
export function bytesByPart(size: BrowserBundleSize): [string, number][] {
  const parts = new Map<string, number>();
  for (const { path, bytes } of size.inputs) {
    const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const part = inModules === null ? path.split('/').slice(0, 2).join('/') : inModules[1]!;
    parts.set(part, (parts.get(part) ?? 0) + bytes);
  }
  return [...parts].sort((a, b) => b[1] - a[1]);
}

/**
 * The bench figures: the gzipped size in KB against the {@link BROWSER_BUNDLE_BUDGET_KB} budget,
 * of the whole surface of both entries and of the smallest application (`connect` + `wsTransport`).
 */
export async function browserBundleFigures(): Promise<{ figures: Figure[]; size: BrowserBundleSize }> {
  const size = await measureBrowserBundle();
  const connectOnly = await measureBrowserBundle(CONNECT_ENTRY);
  const budget = `budget ${BROWSER_BUNDLE_BUDGET_KB} KB`;
  return {
    figures: [
      figure('browser bundle, all of tauon/client + tauon/transports/ws, minified, gzipped', size.gzipBytes / 1000, 'KB', budget, BROWSER_BUNDLE_BUDGET_KB),
      figure('browser bundle, connect + wsTransport only, minified, gzipped', connectOnly.gzipBytes / 1000, 'KB', budget, BROWSER_BUNDLE_BUDGET_KB),
    ],
    size,
  };
}
