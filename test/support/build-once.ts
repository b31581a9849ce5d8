// Vitest global setup: compiles the package once before any test runs, so that the tests of
// the command line run bin/tauon.js on the current sources (as after `npm install`). The build
// is incremental: when nothing changed it takes a few seconds.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export default async function buildOnce(): Promise<void> {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
    cwd: root,
    timeout: 180_000,
  });
  // The web view (dist/ui/), which `tauon serve` serves at /ui.
  await run(process.execPath, ['scripts/build-ui.js'], { cwd: root, timeout: 60_000 });
}
