import { TauonError } from '../protocol/errors.js';
import { MissingDriverError } from '../transports/optional-driver.js';
import type { StoreSpec, TauonConfig } from './config.js';
import { redactUrl } from '../transports/redact-url.js';
import type { EventStore } from './stores/event-store.js';
import { LmdbStore } from './stores/lmdb/lmdb-store.js';
import { RoutingStore } from './stores/routing/routing-store.js';
import { isModulePath, openStoreModule } from './store-module.js';

/** The part of a configuration that says which stores to open and how streams are routed. */
export type StoreConfig = Pick<TauonConfig, 'stores' | 'routes' | 'default'>;

/**
 * Opens one store (`name` is its name in the configuration). The PostgreSQL and JetStream stores
 * and store modules are loaded only when asked for, so that a server on lmdb never loads their
 * clients.
 * @throws MissingDriverError when the store's driver is not installed
 * @throws TauonError naming the module when a store module cannot be loaded or makes no store
 */
export async function openStore(spec: StoreSpec, name = 'main'): Promise<EventStore> {
  switch (spec.kind) {
    case 'module':
      return openStoreModule(spec, name);
    case 'lmdb':
      return LmdbStore.open(spec.path, { sync: spec.sync, appendConditions: spec.appendConditions });
    case 'postgres': {
      const { PostgresStore } = await import('./stores/postgres/postgres-store.js');
      return PostgresStore.open(spec.url, { schema: spec.schema, poolSize: spec.poolSize });
    }
    case 'jetstream': {
      const { JetStreamStore } = await import('./stores/jetstream/jetstream-store.js');
      return JetStreamStore.open(spec.url, { stream: spec.stream, subjectPrefix: spec.subjectPrefix, replicas: spec.replicas });
    }
  }
}

/**
 * Opens the stores of a checked configuration and returns the store a server runs on: the one
 * store when there are no routes, else a {@link RoutingStore} over them (which closes them when it
 * closes). When a store fails to open, the ones already open are closed again.
 *
 * @throws TauonError naming the store that could not be opened.
 */
export async function openConfiguredStore(config: StoreConfig): Promise<EventStore> {
  const opened = new Map<string, EventStore>();
  try {
    for (const [name, spec] of Object.entries(config.stores)) {
      try {
        opened.set(name, await openStore(spec, name));
      } catch (error) {
        // It names the store and what to install: said as it is.
        if (error instanceof MissingDriverError) throw error;
        // Each store's own error says which store it is and where; with several, add the name.
        const own =
          error instanceof TauonError
            ? error
            : new TauonError('internal', `cannot open the ${describeSpec(spec)}: ${String(error)}`, { cause: error });
        if (Object.keys(config.stores).length === 1) throw own;
        throw new TauonError(own.code, `store "${name}": ${own.message}`, { cause: error });
      }
    }
  } catch (error) {
    await Promise.allSettled([...opened.values()].map((store) => store.close()));
    throw error;
  }
  const fallbackName = config.default ?? Object.keys(config.stores)[0]!;
  const fallback = opened.get(fallbackName)!;
  if (config.routes.length === 0) return fallback;
  return new RoutingStore({
    routes: config.routes.map((route) => ({ prefix: route.prefix, store: opened.get(route.store)! })),
    fallback,
    names: new Map([...opened].map(([name, store]) => [store, name])),
  });
}

/** What `tauon serve` prints about its stores: `lmdb store in /data`, and the routes. */
export function describeStores(config: StoreConfig): string {
  const fallbackName = config.default ?? Object.keys(config.stores)[0]!;
  const only = config.stores[fallbackName]!;
  if (config.routes.length === 0) return `${describeSpec(only)}`;
  const routes = config.routes.map((route) => `"${route.prefix}" -> ${route.store}`);
  const stores = Object.entries(config.stores).map(([name, spec]) => `${name}: ${describeSpec(spec)}`);
  return `${[...routes, `the rest -> ${fallbackName}`].join(', ')}; ${stores.join(', ')}`;
}

/** `lmdb store in DIR`, `postgres store at URL` (password hidden), `store module ./x.mjs in DIR`. */
export function describeSpec(spec: StoreSpec): string {
  switch (spec.kind) {
    case 'lmdb':
      return `lmdb store in ${spec.path}`;
    case 'module':
      return isModulePath(spec.module) ? `store module ${spec.module} in ${spec.baseDir}` : `store module ${spec.module}`;
    default:
      return `${spec.kind} store at ${redactUrl(spec.url)}`;
  }
}
