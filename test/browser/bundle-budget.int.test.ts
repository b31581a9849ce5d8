import { describe, expect, it } from 'vitest';
import { BROWSER_BUNDLE_BUDGET_KB, bytesByPart, CONNECT_ENTRY, measureBrowserBundle, type BrowserBundleSize } from '../../bench/figures/browser-bundle.js';

/**
 * The gzipped size this test lets through for the whole surface of both entries, in KB: the
 * budget, {@link BROWSER_BUNDLE_BUDGET_KB} (40), which `npm run bench` reports against. Measured:
 * 39.5 KB since the client's default codec is JSON in a browser build and the CloudEvents mapping
 * is imported from `tauon/protocol` only (55.9 before, with msgpackr's 11.9 KB; 73.9 before
 * zod/mini; 136 with zod's locales, pulled in by `import { z } from 'zod'`).
 */
const CEILING_KB = BROWSER_BUNDLE_BUDGET_KB;

/** The same for an application that takes `connect` and `wsTransport` only: 35.0 KB measured (47.0 with msgpackr). */
const CONNECT_CEILING_KB = BROWSER_BUNDLE_BUDGET_KB;

/** A page that chooses msgpack: it imports the codec and passes it to `connect`. */
const MSGPACK_ENTRY = `${CONNECT_ENTRY}import { msgpackCodec } from 'tauon/protocol';\nexport const codec = msgpackCodec;\n`;

const isMsgpackr = (path: string): boolean => path.includes('node_modules/msgpackr/');

/** What the bundle holds, checked the same way for both entries. */
function expectBrowserOnly(size: BrowserBundleSize): void {
  expect(size.nodeImports, 'Node builtins imported by the bundle').toEqual([]);
  expect(size.serverFiles, 'reference server files in the bundle').toEqual([]);
  expect(size.nodeOnlyPackageFiles, 'Node-only packages in the bundle').toEqual([]);
  // The browser export, not the Node entry: the client transport alone, and the client.
  const paths = size.inputs.map((input) => input.path);
  expect(paths).toContain('dist/transports/ws/client.js');
  expect(paths).not.toContain('dist/transports/ws/index.js');
  expect(paths.some((path) => path.startsWith('dist/client/'))).toBe(true);
  expect(paths.filter((path) => path.includes('zod/v4/locales/')).length, 'zod locales beyond the default (en)').toBeLessThanOrEqual(1);
  expect(paths.filter((path) => path.includes('zod/v4/classic/')), "zod's classic API (zod/mini is enough)").toEqual([]);
  // The default codec of a browser build is JSON (client/codec-choice.browser.ts): msgpackr only when the page asks for it.
  expect(paths.filter(isMsgpackr), 'msgpackr, which a page that does not choose msgpack does not need').toEqual([]);
  expect(paths).toContain('dist/client/codec-choice.browser.js');
  expect(paths).not.toContain('dist/client/codec-choice.js');
}

function partsOf(size: BrowserBundleSize): string {
  return bytesByPart(size).map(([part, bytes]) => `${part} ${bytes}`).join(', ');
}

describe('the browser bundle of tauon/client + tauon/transports/ws', () => {
  it('stays under its ceiling, with no Node builtin, no reference server file and no Node-only package in it', async () => {
    const size = await measureBrowserBundle();
    expectBrowserOnly(size);
    expect(size.gzipBytes / 1000, `gzipped KB (budget ${BROWSER_BUNDLE_BUDGET_KB}); minified bytes by part: ${partsOf(size)}`).toBeLessThanOrEqual(CEILING_KB);
  });

  it('of an application that takes connect and wsTransport only stays under its own ceiling', async () => {
    const size = await measureBrowserBundle(CONNECT_ENTRY);
    expectBrowserOnly(size);
    expect(size.gzipBytes / 1000, `gzipped KB; minified bytes by part: ${partsOf(size)}`).toBeLessThanOrEqual(CONNECT_CEILING_KB);
  });

  it('holds msgpackr when the page imports msgpackCodec, and nothing of the server for it', async () => {
    const size = await measureBrowserBundle(MSGPACK_ENTRY);
    const paths = size.inputs.map((input) => input.path);
    expect(paths.filter(isMsgpackr).length).toBeGreaterThan(0);
    expect(paths.filter((path) => path.includes('decode-client-frame') || path.includes('msgpack-scan')), "the server's decoding of client frames").toEqual([]);
    expect(size.nodeImports).toEqual([]);
    expect(size.serverFiles).toEqual([]);
  });
});
