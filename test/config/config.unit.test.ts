import { describe, expect, it } from 'vitest';
import { ConfigError, formatPath, parseConfig } from '../../server-reference/config.js';
import { parseStoreUrl } from '../../server-reference/config-store-url.js';
import { redactUrl as redact } from '../../transports/redact-url.js';

const BASE = '/srv/tauon';

/** The problems parseConfig reports for `input`, failing the test when it accepts it. */
function problems(input: unknown): readonly string[] {
  try {
    parseConfig(input, 'tauon.config.json', BASE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  return expect.fail('the configuration should have been refused');
}

const lmdb = { kind: 'lmdb', path: './data' };

describe('configuration file', () => {
  it('accepts the full shape and fills in the defaults; lmdb paths are relative to the file', () => {
    const config = parseConfig(
      {
        stores: {
          main: lmdb,
          pg: { kind: 'postgres', url: 'postgres://127.0.0.1/test', schema: 'tauon' },
          js: { kind: 'jetstream', url: 'nats://127.0.0.1:4222', stream: 'EVENTS' },
        },
        routes: [
          { prefix: 'orders.', store: 'pg' },
          { prefix: 'telemetry.', store: 'js' },
        ],
        default: 'main',
        listen: { port: 7700 },
        amqp: { url: 'amqp://127.0.0.1' },
      },
      'tauon.config.json',
      BASE,
    );
    expect(config.stores['main']).toEqual({ kind: 'lmdb', path: '/srv/tauon/data' });
    expect(config.stores['pg']).toEqual({ kind: 'postgres', url: 'postgres://127.0.0.1/test', schema: 'tauon' });
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 7700 });
    expect(config.amqp).toEqual({ url: 'amqp://127.0.0.1', service: 'tauon' });
    expect(config.routes).toHaveLength(2);
  });

  it('needs no routes, default or listen with one store', () => {
    const config = parseConfig({ stores: { only: { kind: 'lmdb', path: '/abs' } } }, 'f', BASE);
    expect(config).toEqual({
      stores: { only: { kind: 'lmdb', path: '/abs' } },
      routes: [],
      listen: { host: '127.0.0.1', port: 7600 },
    });
  });

  it('names an unknown kind and a missing kind by the path of the field', () => {
    expect(problems({ stores: { main: { kind: 'mysql', url: 'mysql://x' } } })).toEqual([
      'stores.main.kind: unknown store kind "mysql"; the kinds are "lmdb", "postgres", "jetstream", "module"',
    ]);
    expect(problems({ stores: { main: { path: './data' } } })).toEqual([
      'stores.main.kind: missing: a store needs a kind, one of "lmdb", "postgres", "jetstream", "module"',
    ]);
  });

  it('names a route to a store that does not exist, and a default that does not exist', () => {
    expect(
      problems({ stores: { main: lmdb, pg: { kind: 'postgres', url: 'postgres://h/db' } }, routes: [{ prefix: 'orders.', store: 'pq' }], default: 'main' }),
    ).toEqual([
      'routes[0].store: no store is named "pq"; the stores are "main", "pg"',
      'stores.pg: store "pg" is neither the default nor the store of a route',
    ]);
    expect(problems({ stores: { main: lmdb }, default: 'mian' })).toEqual([
      'default: no store is named "mian"; the stores are "main"',
    ]);
    expect(problems({ stores: { a: lmdb, b: { kind: 'lmdb', path: 'b' } }, routes: [{ prefix: 'x.', store: 'b' }] })).toEqual([
      'default: missing: with more than one store, name the one that takes the streams no route matches (one of "a", "b")',
    ]);
  });

  it('names a prefix routed twice and an empty prefix', () => {
    expect(
      problems({
        stores: { main: lmdb, pg: { kind: 'postgres', url: 'postgres://h/db' } },
        routes: [
          { prefix: 'orders.', store: 'pg' },
          { prefix: 'users.', store: 'pg' },
          { prefix: 'orders.', store: 'main' },
        ],
        default: 'main',
      }),
    ).toEqual(['routes[2].prefix: prefix "orders." is routed twice (also routes[0])']);
    expect(problems({ stores: { main: lmdb }, routes: [{ prefix: '', store: 'main' }] })).toEqual([
      'routes[0].prefix: must not be empty (the default store takes every stream no route matches)',
    ]);
  });

  it('takes the bound of unsent bytes per connection, and refuses one that is too small or not whole', () => {
    expect(parseConfig({ stores: { main: lmdb }, limits: { maxBufferedBytes: 4_194_304 } }, 'f', BASE).limits).toEqual({ maxBufferedBytes: 4_194_304 });
    expect(parseConfig({ stores: { main: lmdb } }, 'f', BASE).limits).toBeUndefined();
    expect(problems({ stores: { main: lmdb }, limits: { maxBufferedBytes: 100 } })).toEqual(['limits.maxBufferedBytes: must be at least 1024']);
    expect(problems({ stores: { main: lmdb }, limits: { maxBufferedBytes: 1.5e6 + 0.5 } })).toEqual(['limits.maxBufferedBytes: must be a whole number']);
    expect(problems({ stores: { main: lmdb }, limits: { maxBuffered: 1 } })).toEqual(['limits: Unrecognized key: "maxBuffered"']);
  });

  it('names fields of the wrong type, unknown fields and bad values', () => {
    expect(problems({ stores: { main: { kind: 'lmdb', path: 42 } }, listen: { port: '7600' } })).toEqual([
      'stores.main.path: Invalid input: expected string, received number',
      'listen.port: Invalid input: expected number, received string',
    ]);
    expect(problems({ stores: { main: lmdb }, listen: { port: 70000 } })).toEqual([
      'listen.port: Too big: expected number to be <=65535',
    ]);
    expect(problems({ stores: { main: { ...lmdb, pth: 'x' } }, rotes: [] })).toEqual([
      'stores.main: Unrecognized key: "pth"',
      'Unrecognized key: "rotes"',
    ]);
    expect(problems({ stores: { main: { kind: 'postgres', url: 'http://h/db' } } })).toEqual([
      'stores.main.url: must be a postgres:// or postgresql:// URL',
    ]);
    expect(problems({ stores: { main: lmdb }, amqp: { url: 'amqp://h', service: 3 } })).toEqual([
      'amqp.service: Invalid input: expected string, received number',
    ]);
    expect(problems({ stores: [] })).toEqual(['stores: Invalid input: expected record, received array']);
    expect(problems({ stores: {} })).toEqual(['stores: name at least one store']);
    expect(problems('stores')).toEqual(['Invalid input: expected object, received string']);
    expect(problems({ stores: { 'my store': lmdb } })).toEqual([
      'stores.my store: a store name starts with a letter and has only letters, digits, "_" and "-"',
    ]);
  });

  it('says where the configuration came from and lists every problem, one a line', () => {
    const error = (() => {
      try {
        parseConfig({ stores: { main: { kind: 'x' } }, listen: { host: 1 } }, 'conf.json', BASE);
      } catch (caught) {
        return caught as ConfigError;
      }
      return expect.fail('refused');
    })();
    expect(error.message).toBe(
      'conf.json has 2 problems:\n' +
        '  stores.main.kind: unknown store kind "x"; the kinds are "lmdb", "postgres", "jetstream", "module"\n' +
        '  listen.host: Invalid input: expected string, received number',
    );
    expect(formatPath(['routes', 3, 'store'])).toBe('routes[3].store');
    expect(formatPath([])).toBe('');
  });
});

describe('--store URL', () => {
  it('maps postgres://, postgresql://, nats:// and lmdb:DIR to a store', () => {
    expect(parseStoreUrl('postgres://127.0.0.1/test', BASE)).toEqual({ kind: 'postgres', url: 'postgres://127.0.0.1/test' });
    expect(parseStoreUrl('postgresql://u:p@db:5433/x', BASE)).toEqual({ kind: 'postgres', url: 'postgresql://u:p@db:5433/x' });
    expect(parseStoreUrl('nats://127.0.0.1:4222', BASE)).toEqual({ kind: 'jetstream', url: 'nats://127.0.0.1:4222' });
    expect(parseStoreUrl('lmdb:./events', BASE)).toEqual({ kind: 'lmdb', path: '/srv/tauon/events' });
    expect(parseStoreUrl('lmdb:/var/lib/tauon', BASE)).toEqual({ kind: 'lmdb', path: '/var/lib/tauon' });
  });

  it('takes the store’s own options out of the query, and leaves the driver’s', () => {
    expect(parseStoreUrl('postgres://u:p@db:5433/x?schema=orders&sslmode=require', BASE)).toEqual({
      kind: 'postgres',
      url: 'postgres://u:p@db:5433/x?sslmode=require',
      schema: 'orders',
    });
    expect(parseStoreUrl('postgres://db/x?schema=orders', BASE)).toEqual({ kind: 'postgres', url: 'postgres://db/x', schema: 'orders' });
    expect(parseStoreUrl('nats://127.0.0.1:4222?stream=EVENTS&subjectPrefix=ev.one', BASE)).toEqual({
      kind: 'jetstream',
      url: 'nats://127.0.0.1:4222',
      stream: 'EVENTS',
      subjectPrefix: 'ev.one',
    });
  });

  it('takes a JetStream cluster as comma-separated nodes, with the options once at the end', () => {
    expect(parseStoreUrl('nats://n1:4222,nats://n2:4222,n3:4222?stream=TAUON&replicas=3', BASE)).toEqual({
      kind: 'jetstream',
      url: 'nats://n1:4222,nats://n2:4222,n3:4222',
      stream: 'TAUON',
      replicas: 3,
    });
    expect(parseStoreUrl('nats://u:p@n1,nats://u:p@n2', BASE)).toEqual({ kind: 'jetstream', url: 'nats://u:p@n1,nats://u:p@n2' });
  });

  it('refuses an unknown scheme, a URL that does not parse, a URL without host and lmdb: without directory', () => {
    const refusal = (text: string) => {
      try {
        parseStoreUrl(text, BASE);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      return expect.fail(`${text} should be refused`);
    };
    expect(refusal('mysql://h/db')).toBe(
      '--store: unknown store URL scheme "mysql:"; the forms are postgres://..., postgresql://..., nats://... or lmdb:DIR',
    );
    expect(refusal('./data')).toBe('--store: "./data" is not a store URL; the forms are postgres://..., postgresql://..., nats://... or lmdb:DIR');
    expect(refusal('postgres://[::1/test')).toBe('--store: "postgres://[::1/test" is not a valid URL');
    expect(refusal('nats:4222')).toBe('--store: "nats:4222" names no NATS host; write nats://HOST[:PORT][,nats://HOST[:PORT]...]');
    expect(refusal('nats://a:4222,,b:4222')).toBe(
      '--store: "" in "nats://a:4222,,b:4222" names no NATS host; write nats://HOST[:PORT][,nats://HOST[:PORT]...]',
    );
    expect(refusal('nats://u:secret@a:4222,b:4222/x')).toBe(
      '--store: "b:4222/x" in "nats://u:***@a:4222,b:4222/x" names no NATS host; write nats://HOST[:PORT][,nats://HOST[:PORT]...]',
    );
    expect(refusal('nats://a:4222?replica=3&stream=S')).toBe(
      '--store: unknown option "replica" in the query of a nats:// URL; the options are stream, subjectPrefix, replicas',
    );
    expect(refusal('nats://a:4222?replicas=7')).toBe('--store: replicas=7: must be a whole number from 1 to 5');
    expect(refusal('nats://a:4222?replicas=two')).toBe('--store: replicas=two: must be a whole number from 1 to 5');
    expect(refusal('lmdb:')).toBe('--store: "lmdb:" names no directory; write lmdb:DIR');
  });

  it('hides a password in messages', () => {
    expect(redact('postgres://me:secret@h/db')).toBe('postgres://me:***@h/db');
    expect(redact('postgres://me:secret@[h/db')).toBe('postgres://***@[h/db');
    expect(redact('nats://h:4222')).toBe('nats://h:4222');
  });
});
