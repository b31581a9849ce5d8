#!/usr/bin/env node
// The `tauon` command line runs the compiled sources, which `npm install` / `npm ci` build.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/tauon.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('tauon: the build is missing; run `npm run build` (npm install does it)\n');
  process.exit(1);
}
await import(entry.href);
