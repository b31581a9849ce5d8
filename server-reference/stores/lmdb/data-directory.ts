import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { TauonError } from '../../../protocol/errors.js';

/**
 * How an lmdb store's path holds its environment: a directory (data.mdb and lock.mdb inside),
 * or, for a store an earlier version wrote at a path with a dot in its last name, a file (the
 * path itself, and a `-lock` file beside it: lmdb-js takes a path with an extension for a file
 * name unless told otherwise).
 */
export type DataLayout = 'directory' | 'file';

/**
 * Makes `path` a directory for an lmdb store, creating it and its missing parents, and says how
 * to open it. The directories are made one level at a time: Node's recursive mkdir (which lmdb-js
 * calls) never returns on a path that cannot be made although its parent exists, such as
 * `/proc/nope` (procfs answers ENOENT, so it makes the parent and tries again, for ever at 100%
 * CPU); here that is an error at once.
 *
 * @returns 'file' when `path` is an existing file (a store written by an earlier version), else
 *   'directory'
 * @throws TauonError (`internal`) naming the path when it cannot be made a directory
 */
export async function prepareDataDirectory(path: string): Promise<DataLayout> {
  const target = resolve(path);
  const missing: string[] = [];
  // Up to the first that exists: bounded by the depth of the path.
  for (let dir = target; ; dir = dirname(dir)) {
    const kind = await kindOf(dir);
    if (kind === 'directory') break;
    if (kind === 'file' && dir === target) return 'file';
    if (kind === 'file') throw cannotCreate(target, `${dir} is not a directory`);
    missing.push(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing.reverse()) {
    try {
      await mkdir(dir);
    } catch (error) {
      // Made meanwhile by someone else: as good.
      if ((error as { code?: unknown }).code === 'EEXIST' && (await kindOf(dir)) === 'directory') continue;
      throw cannotCreate(target, error instanceof Error ? error.message : String(error), error);
    }
  }
  return 'directory';
}

/** What is at `path`: a directory, something else, or nothing (also a dangling symlink). */
async function kindOf(path: string): Promise<'directory' | 'file' | undefined> {
  try {
    return (await stat(path)).isDirectory() ? 'directory' : 'file';
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw cannotCreate(path, error instanceof Error ? error.message : String(error), error);
  }
}

function cannotCreate(path: string, why: string, cause?: unknown): TauonError {
  return new TauonError('internal', `cannot open the lmdb store at ${path}: cannot make its directory: ${why}`, { cause });
}
