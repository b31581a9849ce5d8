import { fileURLToPath } from 'node:url';
import { createContext, runInContext } from 'node:vm';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClientTransport } from '../../client/index.js';
import { startServer } from '../support/harness.js';
import type { RunningServer } from '../support/harness.js';

// Typed events and the projection operator run in a browser: client/ bundled for the browser
// platform (esbuild fails on a Node builtin), then run where only a browser's globals exist (no
// process, Buffer or require), against a real server over the memory transport.

/** The globals a browser page has that the bundle may use; none of Node's own. */
function browserGlobals(): Record<string, unknown> {
  return {
    console,
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    queueMicrotask,
    crypto: globalThis.crypto,
    TextEncoder,
    TextDecoder,
    URL,
    AbortController,
    AbortSignal,
    Event,
    EventTarget,
  };
}

describe('typed events in a browser bundle', () => {
  let running: RunningServer;
  beforeEach(async () => {
    running = await startServer('memory');
  });
  afterEach(() => running.close());

  it('bundles for the browser without Node builtins, and runs end to end with a browser\'s globals only', async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('./browser-entry.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'typedEventsBundle',
      write: false,
      logLevel: 'silent',
    });
    const code = bundle.outputFiles[0]!.text;
    const context = createContext(browserGlobals());
    runInContext(code, context);
    const entry = (context as { typedEventsBundle: { run: (transport: ClientTransport) => Promise<Record<string, unknown>> } }).typedEventsBundle;
    expect(runInContext('typeof process + typeof Buffer + typeof require', context)).toBe('undefinedundefinedundefined');
    const seen = await entry.run(running.transport);
    expect(seen).toEqual({ refused: 'bad-frame', replayed: [1, 2, 'invalid'], schema: 'urn:browser-test:Added', sum: 3 });
  });
});
