/**
 * A fresh project outside the repository that installs the packed `tauon` tarball as a user's
 * project would, offline. `npm install --offline` cannot resolve versions from npm's cache (it
 * holds the tarballs that `npm ci` fetched, not the registry's package documents), so the project
 * gets a package-lock.json cut from the repository's own: the tarball and, of the repository's
 * locked packages, exactly those that the tarball's dependencies and the project's tools need.
 * `npm ci --offline` then takes every tarball from the cache, and no optional peer dependency
 * (pg, the NATS client, amqplib) is installed.
 * @module
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** One package of a package-lock.json (lockfileVersion 3) `packages` map. */
interface LockedPackage {
  readonly version?: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  readonly [field: string]: unknown;
}

/** The parts of the package's package.json that its lock entry repeats. */
interface Manifest extends LockedPackage {
  readonly name: string;
  readonly version: string;
}

/**
 * Writes `package.json` and `package-lock.json` of a project in `projectDir` that depends on the
 * tarball and on `tools` (package names, at the versions the repository locks).
 *
 * @returns the dependencies of the project, name -> spec
 */
export async function writeConsumerProject(options: {
  readonly repoDir: string;
  readonly tarball: string;
  readonly projectDir: string;
  readonly tools: readonly string[];
}): Promise<Record<string, string>> {
  const { repoDir, tarball, projectDir, tools } = options;
  const lock = JSON.parse(await readFile(join(repoDir, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockedPackage> };
  const manifest = JSON.parse(await readFile(join(repoDir, 'package.json'), 'utf8')) as Manifest;
  const locked = lock.packages;
  const spec = `file:${relative(projectDir, tarball)}`;

  const dependencies: Record<string, string> = { [manifest.name]: spec };
  for (const tool of tools) {
    const version = locked[`node_modules/${tool}`]?.version;
    if (version === undefined) throw new Error(`${tool} is not in the repository's package-lock.json`);
    dependencies[tool] = version;
  }

  const packageEntry: LockedPackage = {
    version: manifest.version,
    resolved: spec,
    integrity: `sha512-${createHash('sha512').update(await readFile(tarball)).digest('base64')}`,
    ...pick(manifest, ['license', 'dependencies', 'optionalDependencies', 'peerDependencies', 'peerDependenciesMeta', 'bin', 'engines']),
  };

  // The repository's layout is kept (its packages are hoisted the same way), so a dependency is
  // found where Node would look for it: in node_modules/ beside the dependent, then further up.
  const chosen = new Map<string, LockedPackage>();
  const pending: { from: string; name: string; optional: boolean }[] = [];
  const follow = (from: string, entry: LockedPackage): void => {
    for (const name of Object.keys(entry.dependencies ?? {})) pending.push({ from, name, optional: false });
    for (const name of Object.keys(entry.optionalDependencies ?? {})) pending.push({ from, name, optional: true });
    // npm installs peers unless they are optional: the drivers stay out.
    for (const name of Object.keys(entry.peerDependencies ?? {})) {
      if (entry.peerDependenciesMeta?.[name]?.optional !== true) pending.push({ from, name, optional: false });
    }
  };
  follow(`node_modules/${manifest.name}`, packageEntry);
  for (const tool of tools) pending.push({ from: '', name: tool, optional: false });
  for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
    const path = lockedPath(locked, next.from, next.name);
    if (path === undefined) {
      if (next.optional) continue;
      throw new Error(`${next.name} (needed by ${next.from || 'the project'}) is not in the repository's package-lock.json`);
    }
    if (chosen.has(path)) continue;
    // Whether it was a dev dependency of the repository says nothing about the project.
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = locked[path]!;
    chosen.set(path, entry);
    follow(path, entry);
  }

  const name = 'tauon-consumer';
  const projectLock = {
    name,
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name, version: '1.0.0', dependencies },
      [`node_modules/${manifest.name}`]: packageEntry,
      ...Object.fromEntries([...chosen].sort(([a], [b]) => (a < b ? -1 : 1))),
    },
  };
  await writeFile(join(projectDir, 'package.json'), `${JSON.stringify({ name, version: '1.0.0', private: true, type: 'module', dependencies }, null, 2)}\n`);
  await writeFile(join(projectDir, 'package-lock.json'), `${JSON.stringify(projectLock, null, 2)}\n`);
  return dependencies;
}

/** Where `name` is found from the package at `from` ('' for the project), as Node looks. */
function lockedPath(locked: Record<string, LockedPackage>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const path = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (locked[path] !== undefined) return path;
    if (base === '') return undefined;
    const parent = base.lastIndexOf('/node_modules/');
    base = parent < 0 ? '' : base.slice(0, parent);
  }
}

function pick<T extends object>(object: T, keys: readonly string[]): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([key]) => keys.includes(key))) as Partial<T>;
}
