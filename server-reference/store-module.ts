import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TauonError } from '../protocol/errors.js';
import type { EventStore } from './stores/event-store.js';
import { isStoreId, MAX_STORE_ID_LENGTH } from './stores/store-identity.js';

/*
 * A store of the user's own, named by a configuration file (`{ "kind": "module", "module":
 * "./my-store.mjs", "options": {...} }`) and loaded only when the server opens its stores.
 * The module's contract is {@link StoreModuleFactory}; every way it can fall short is said in
 * one error that names the module (docs/configuration.md, "A store of your own").
 */

/** What the server tells a store module's factory besides the options of the configuration. */
export interface StoreModuleContext {
  /** The store's name in the configuration (`main`), for messages. */
  readonly name: string;
  /**
   * The directory of the configuration file (the working directory for a configuration made
   * from flags): resolve relative paths of the options against it, as the lmdb store's `path` is.
   */
  readonly baseDir: string;
}

/**
 * What a store module exports, as its default export or as `createStore`: a function that opens
 * the store with the configuration's `options` (the JSON value as written, `{}` when left out)
 * and resolves with it. The server closes the store (`close()`) when it stops, after it stopped
 * serving.
 *
 * @example
 * // my-store.mjs
 * export default async function createStore(options, context) {
 *   return MyStore.open(resolve(context.baseDir, options.file));
 * }
 */
export type StoreModuleFactory = (options: unknown, context: StoreModuleContext) => EventStore | Promise<EventStore>;

/** The methods every store has (the optional ones of EventStore are not asked for). */
const STORE_METHODS = [
  'append',
  'readStream',
  'readAll',
  'findEvent',
  'findByTime',
  'streamInfo',
  'listStreams',
  'surface',
  'headPosition',
  'onCommit',
  'close',
] as const;

/** Where a store module comes from, as a checked configuration gives it. */
export interface StoreModuleSpec {
  /** A path (`./x.mjs`, `../x.js`, `/abs/x.js`) relative to `baseDir`, or a package name. */
  readonly module: string;
  readonly options?: unknown;
  readonly baseDir: string;
}

/** True when `module` names a file (relative or absolute) rather than a package. */
export function isModulePath(module: string): boolean {
  return module.startsWith('./') || module.startsWith('../') || module === '.' || module === '..' || isAbsolute(module);
}

/**
 * Loads a store module, calls its factory and checks that what it made is a store.
 *
 * @throws TauonError (`internal`) naming the module: it cannot be found or loaded, exports no
 * factory, its factory throws, or it makes something that is not an EventStore.
 */
export async function openStoreModule(spec: StoreModuleSpec, name: string): Promise<EventStore> {
  const { module, baseDir } = spec;
  const what = `store module "${module}"`;
  const url = locate(module, baseDir, what);
  let exports: Record<string, unknown>;
  try {
    exports = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new TauonError('internal', `cannot load the ${what} (${url}): ${messageOf(error)}`, { cause: error });
  }
  const factory = factoryOf(exports);
  if (factory === undefined) {
    const names = Object.keys(exports).filter((key) => key !== 'default');
    const has = names.length === 0 ? 'it exports nothing else' : `it exports ${names.join(', ')}`;
    throw new TauonError(
      'internal',
      `the ${what} exports no store factory: export a function (options, context) => Promise<EventStore> as its default export or as createStore (${has})`,
    );
  }
  let store: unknown;
  try {
    store = await factory(spec.options ?? {}, { name, baseDir });
  } catch (error) {
    throw new TauonError('internal', `the store factory of the ${what} failed: ${messageOf(error)}`, { cause: error });
  }
  const problem = notAStore(store);
  if (problem !== undefined) {
    // Whatever it is, it may hold resources: give it a chance to let go of them.
    await closeQuietly(store);
    throw new TauonError('internal', `the store factory of the ${what} made something that is not an EventStore: ${problem}`);
  }
  return store as EventStore;
}

/**
 * The URL to import: a file next to the configuration, or a package as seen from there (also for
 * projection modules, projection-modules.ts).
 * @throws TauonError (`internal`) naming `what` when no such package is installed.
 */
export function locate(module: string, baseDir: string, what: string): string {
  if (isModulePath(module)) return pathToFileURL(resolve(baseDir, module)).href;
  // Packages are looked up in the node_modules folders above the configuration file, the way
  // require does (an ESM package is found too when its exports have a "default" or "node" entry).
  try {
    return pathToFileURL(createRequire(join(baseDir, 'tauon.config.json')).resolve(module)).href;
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND'
        ? `no package "${module}" is installed in ${baseDir} or a folder above it (a file path starts with ./ or ../)`
        : messageOf(error);
    throw new TauonError('internal', `cannot find the ${what}: ${reason}`, { cause: error });
  }
}

/** The default export when it is a function, else a function exported as `createStore`. */
function factoryOf(exports: Record<string, unknown>): StoreModuleFactory | undefined {
  const candidate = typeof exports['default'] === 'function' ? exports['default'] : exports['createStore'];
  return typeof candidate === 'function' ? (candidate as StoreModuleFactory) : undefined;
}

/** What is wrong with `value` as a store, or undefined when it looks like one. */
function notAStore(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return `it is ${value === null ? 'null' : typeof value}`;
  const store = value as Record<string, unknown>;
  const missing = STORE_METHODS.filter((method) => typeof store[method] !== 'function');
  if (missing.length > 0) return `it has no method ${missing.join(', ')}`;
  if (typeof store['kind'] !== 'string' || store['kind'] === '') return 'its kind is not a non-empty string';
  if (!isStoreId(store['id'])) return `its id (the store's identity, docs/writing-a-store.md) is not a string of 1 to ${MAX_STORE_ID_LENGTH}`;
  return undefined;
}

async function closeQuietly(value: unknown): Promise<void> {
  const close = (value as { close?: unknown } | null | undefined)?.close;
  if (typeof close !== 'function') return;
  try {
    await (close as () => unknown).call(value);
  } catch {
    // It is refused already; its own trouble closing says nothing more.
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
