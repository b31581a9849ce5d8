/**
 * Headless Chromium for the browser suites: Debian's `chromium` (/usr/bin/chromium) driven by
 * playwright-core. `.ci/run` installs it; under `TAUON_REQUIRE_SERVICES=1` a missing Chromium
 * fails the suite, in a developer's plain `npm test` it skips with a message.
 *
 * ```ts
 * const hasChromium = requireChromium();
 * describe.skipIf(!hasChromium)('in a browser', () => {
 *   let browser: Browser;
 *   beforeAll(async () => { browser = await launchChromium(); });
 *   afterAll(() => browser.close());
 * });
 * ```
 * @module
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { servicesRequired } from './services.js';

/** Where Debian's package puts the browser. */
export const CHROMIUM_PATH = process.env['TAUON_CHROMIUM'] ?? '/usr/bin/chromium';

/**
 * Flags for a closed machine: no sandbox (tests run as root), and no background networking,
 * whose connections this machine refuses many at a time.
 */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * Whether Chromium is installed, for `describe.skipIf`.
 *
 * @returns `true` when it is; `false` when it is not and services are optional (after a message).
 * @throws Error when it is not and `TAUON_REQUIRE_SERVICES=1`.
 */
export function requireChromium(env: NodeJS.ProcessEnv = process.env): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (servicesRequired(env)) {
    throw new Error(`Chromium is required (TAUON_REQUIRE_SERVICES=1) but ${CHROMIUM_PATH} is missing: apt-get install -y chromium (bash .ci/run does this)`);
  }
  console.warn(`[tauon] skipping browser tests: ${CHROMIUM_PATH} is missing (set TAUON_REQUIRE_SERVICES=1 to make this a failure)`);
  return false;
}

/** A headless Chromium; playwright gives it a fresh profile of its own and removes it on close. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}
