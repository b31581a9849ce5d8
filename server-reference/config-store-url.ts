import { resolve } from 'node:path';
import { ConfigError, type StoreSpec } from './config.js';

/** The forms `--store` takes, for messages. */
export const STORE_URL_FORMS = 'postgres://..., postgresql://..., nats://... or lmdb:DIR';

/**
 * The store that `tauon serve --store URL` names: `postgres://` or `postgresql://` is a
 * PostgreSQL store, `nats://` a JetStream store, `lmdb:DIR` an lmdb store in DIR (relative to
 * `baseDir`, the working directory). The store's options may ride in the query and are taken
 * out of the URL: `?schema=` for PostgreSQL, `?stream=` and `?subjectPrefix=` for JetStream.
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
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError('--store', [`"${redact(text)}" is not a valid URL`]);
  }
  if (!text.slice(scheme!.length).startsWith('://') || url.hostname === '') {
    throw new ConfigError('--store', [`"${redact(text)}" names no host; write ${scheme}://HOST[:PORT]...`]);
  }
  // The store's own options ride in the query; the rest of it is the driver's (sslmode, ...).
  const take = (name: string): string | undefined => {
    const value = url.searchParams.get(name) ?? undefined;
    url.searchParams.delete(name);
    return value;
  };
  if (kind === 'postgres') {
    const schema = take('schema');
    return { kind, url: url.search === '' && schema === undefined ? text : url.toString(), ...(schema === undefined ? {} : { schema }) };
  }
  const stream = take('stream');
  const subjectPrefix = take('subjectPrefix');
  return {
    kind,
    url: stream === undefined && subjectPrefix === undefined ? text : url.toString(),
    ...(stream === undefined ? {} : { stream }),
    ...(subjectPrefix === undefined ? {} : { subjectPrefix }),
  };
}

/** The URL with its password hidden, for messages. */
export function redact(text: string): string {
  try {
    const url = new URL(text);
    if (url.password === '') return text;
    url.password = '***';
    return url.toString();
  } catch {
    // Not a URL: hide whatever sits between "://" and "@".
    return text.replace(/\/\/[^/@]*@/, '//***@');
  }
}
