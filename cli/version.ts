import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How many folders up from this file the package's own package.json may sit (dist/cli/ is two). */
const MAX_LEVELS_UP = 4;

/**
 * The version of the installed `tauon` package, read from its package.json at run time, so that
 * `tauon --version` always says what is installed (the compiled file sits in dist/cli/, the
 * source in cli/: the nearest package.json named `tauon` above this file is the package's).
 */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level <= MAX_LEVELS_UP; level++) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'tauon' && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // No package.json in this folder (or not ours): look one level up.
    }
    dir = dirname(dir);
  }
  throw new Error('cannot find the package.json of tauon');
}
