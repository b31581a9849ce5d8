import { copyFile, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../support/temp-dir.js';

/** This repository's root: what `npm install tauon` would put in node_modules/tauon. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The store module's source, kept beside this file and copied out for each test. */
const STORE_SOURCE = fileURLToPath(new URL('./json-lines-store.mjs', import.meta.url));

/** A project outside the repository that holds a store module of its own. */
export interface OutsideProject {
  /** The project's directory, in the system's temporary directory. */
  readonly path: string;
  /** Its store module, `json-lines-store.mjs`, at the project's top. */
  readonly storeFile: string;
  remove(): Promise<void>;
}

/**
 * Makes a project as a store author outside Tauon has one: its own package.json, tauon
 * installed (as a link to this repository, which is what `npm install` of a local path does)
 * and its store module, a JSON-lines store written against `tauon/server`.
 */
export async function outsideProject(label: string): Promise<OutsideProject> {
  const dir = await tempDir(label);
  await writeFile(
    join(dir.path, 'package.json'),
    JSON.stringify({ name: 'my-json-lines-store', private: true, type: 'module', dependencies: { tauon: '*' } }, null, 2),
  );
  await mkdir(join(dir.path, 'node_modules'));
  await symlink(PACKAGE_ROOT, join(dir.path, 'node_modules', 'tauon'), 'dir');
  const storeFile = join(dir.path, 'json-lines-store.mjs');
  await copyFile(STORE_SOURCE, storeFile);
  return { path: dir.path, storeFile, remove: dir.remove };
}
