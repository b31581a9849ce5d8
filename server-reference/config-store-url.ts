import { resolve } from 'node:path';
import { redactUrl } from '../transports/redact-url.js';
import { ConfigError, type StoreSpec } from './config.js';

/** The forms `--store` takes, for messages. */
export const STORE_URL_FORMS = 'postgres://..., postgresql://..., nats://... or lmdb:DIR';

/**
 * The store that `tauon serve --store URL` names: `postgres://` or `postgresql://` is a
 * PostgreSQL store, `nats://` a JetStream store, `lmdb:DIR` an lmdb store in DIR (relative to
 * `baseDir`, the working directory). The store's options may ride in the query and are taken
 * out of the URL: `?schema=` for PostgreSQL; `?stream=`, `?subjectPrefix=` and `?replicas=` for
 * JetStream, whose URL may list several nodes, comma-separated.
 *
 * @throws ConfigError (source `--store`) for an unknown scheme or a URL that does not parse.
 * @example
 * parseStoreUrl('lmdb:./data', process.cwd()); // { kind: 'lmdb', path: '/home/me/data' }
 */
export function parseStoreUrl(text: string, baseDir: string): StoreSpec {
  if (text.startsWith('lmdb:')) {
    const path = text.slice('lmdb:'.length).replace(/^\/\//, '');
    if (path === '') throw new ConfigError('--store', [`"${text}" names no directory; write lmdb:DIR`]);
    return { kind: 'lmdb', path: resolve(baseDir, path) };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  const kind = scheme === 'postgres' || scheme === 'postgresql' ? 'postgres' : scheme === 'nats' ? 'jetstream' : undefined;
  if (kind === undefined) {
    const what = scheme === undefined ? `"${text}" is not a store URL` : `unknown store URL scheme "${scheme}:"`;
    throw new ConfigError('--store', [`${what}; the forms are ${STORE_URL_FORMS}`]);
  }
  if (kind === 'jetstream') return parseNatsUrl(text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError('--store', [`"${redactUrl(text)}" is not a valid URL`]);
  }
  if (!text.slice(scheme!.length).startsWith('://') || url.hostname === '') {
    throw new ConfigError('--store', [`"${redactUrl(text)}" names no host; write ${scheme}://HOST[:PORT]...`]);
  }
  // The store's own option rides in the query; the rest of it is the driver's (sslmode, ...).
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  return { kind, url: url.search === '' && schema === undefined ? text : url.toString(), ...(schema === undefined ? {} : { schema }) };
}

/** The options a `nats://` store URL takes in its query. */
const NATS_OPTIONS = ['stream', 'subjectPrefix', 'replicas'] as const;

/**
 * A JetStream store URL: one node or several, comma-separated (`nats://n1:4222,nats://n2:4222`;
 * a node after the first may leave out `nats://`), then the store's options in one query at the
 * end (`?stream=&subjectPrefix=&replicas=`). The NATS client takes no options of its own from
 * a URL, so any other query parameter is refused rather than silently ignored.
 */
function parseNatsUrl(text: string): StoreSpec {
  const queryAt = text.indexOf('?');
  const nodes = (queryAt < 0 ? text : text.slice(0, queryAt)).split(',').map((node) => node.trim());
  for (const [i, node] of nodes.entries()) {
    const full = i > 0 && !/^[a-z][a-z0-9+.-]*:\/\//i.test(node) ? `nats://${node}` : node;
    let url: URL;
    try {
      url = new URL(full);
    } catch {
      throw new ConfigError('--store', [`"${redactUrl(node)}" in "${redactNodes(text)}" is not a valid URL`]);
    }
    if (url.protocol !== 'nats:' || url.hostname === '' || (url.pathname !== '' && url.pathname !== '/')) {
      const where = nodes.length > 1 ? ` in "${redactNodes(text)}"` : '';
      throw new ConfigError('--store', [`"${redactUrl(node)}"${where} names no NATS host; write nats://HOST[:PORT][,nats://HOST[:PORT]...]`]);
    }
  }
  const query = new URLSearchParams(queryAt < 0 ? '' : text.slice(queryAt + 1));
  const problems = [...query.keys()]
    .filter((name) => !(NATS_OPTIONS as readonly string[]).includes(name))
    .map((name) => `unknown option "${name}" in the query of a nats:// URL; the options are ${NATS_OPTIONS.join(', ')}`);
  if (problems.length > 0) throw new ConfigError('--store', problems);
  const stream = query.get('stream') ?? undefined;
  const subjectPrefix = query.get('subjectPrefix') ?? undefined;
  const replicasText = query.get('replicas') ?? undefined;
  const replicas = replicasText === undefined ? undefined : Number(replicasText);
  if (replicas !== undefined && !(Number.isInteger(replicas) && replicas >= 1 && replicas <= 5)) {
    throw new ConfigError('--store', [`replicas=${replicasText ?? ''}: must be a whole number from 1 to 5`]);
  }
  return {
    kind: 'jetstream',
    url: nodes.join(','),
    ...(stream === undefined ? {} : { stream }),
    ...(subjectPrefix === undefined ? {} : { subjectPrefix }),
    ...(replicas === undefined ? {} : { replicas }),
  };
}

/** Every node of a comma-separated URL list with its password hidden, for messages. */
function redactNodes(text: string): string {
  return text.split(',').map(redactUrl).join(',');
}
