import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { HttpSpecSchema, resolveTlsSpec, TlsSpecSchema } from './config-doors.js';
import { AuthConfigSchema, resolveSecretFiles } from './auth/auth-config-schema.js';
import { ProtocolSpecSchema } from './config-protocol.js';
import type { ProjectionModuleSpec } from './projections/projection-modules.js';

/*
 * The configuration file of `tauon serve --config FILE` (reference: docs/configuration.md):
 * which stores to open, which stream-name prefixes go to which store, where to listen, who may
 * connect (`auth`, with its secrets read from the environment or from files). Checked
 * with zod; every problem is reported with the path of the field it is about.
 */

/** The kinds of store a configuration can open: the built-in ones, and `module`, a store of your own. */
export const STORE_KINDS = ['lmdb', 'postgres', 'jetstream', 'module'] as const;

/** A store kind a configuration can open. */
export type StoreKind = (typeof STORE_KINDS)[number];

const LmdbStoreSpec = z.strictObject({
  kind: z.literal('lmdb'),
  /** The directory, created when missing; relative to the configuration file's directory. */
  path: z.string().min(1, 'must be a directory (a non-empty string)'),
  /** Flush every commit to disk before the ack (LmdbStoreOptions.sync). */
  sync: z.boolean().optional(),
  /** Keep the index by type and check append conditions (LmdbStoreOptions.appendConditions). */
  appendConditions: z.boolean().optional(),
});

const PostgresStoreSpec = z.strictObject({
  kind: z.literal('postgres'),
  url: z.string().regex(/^postgres(ql)?:\/\//i, 'must be a postgres:// or postgresql:// URL'),
  /** The PostgreSQL schema that holds the store's tables (PostgresStoreOptions.schema). */
  schema: z.string().min(1).optional(),
  /** The most connections used for reads at once (PostgresStoreOptions.poolSize). */
  poolSize: z.number().int('must be a whole number').min(1).optional(),
});

const JetStreamStoreSpec = z.strictObject({
  kind: z.literal('jetstream'),
  url: z.string().regex(/^nats:\/\//i, 'must be a nats:// URL'),
  /** The JetStream stream that holds the events (JetStreamStoreOptions.stream). */
  stream: z.string().min(1).optional(),
  /** The first tokens of the store's subjects (JetStreamStoreOptions.subjectPrefix). */
  subjectPrefix: z.string().min(1).optional(),
  /** Replicas of the JetStream stream when it is created (JetStreamStoreOptions.replicas). */
  replicas: z.number().int('must be a whole number').min(1).max(5).optional(),
});

const ModuleStoreSpec = z.strictObject({
  kind: z.literal('module'),
  /**
   * The module that exports the store's factory (server-reference/store-module.ts): a path that
   * starts with ./ or ../ (relative to the configuration file's directory) or is absolute, or
   * the name of an installed package.
   */
  module: z.string().min(1, 'must name a module: a path starting with ./ or ../, or a package name'),
  /** Handed to the factory as they are (`{}` when left out). */
  options: z.unknown().optional(),
});

/** One store of a configuration, by kind. */
export const StoreSpecSchema = z.discriminatedUnion('kind', [LmdbStoreSpec, PostgresStoreSpec, JetStreamStoreSpec, ModuleStoreSpec], {
  error: (issue) => {
    if (issue.code !== 'invalid_union') return undefined;
    const kind = (issue.input as { kind?: unknown } | undefined)?.kind;
    const expected = STORE_KINDS.map((name) => `"${name}"`).join(', ');
    return kind === undefined
      ? `missing: a store needs a kind, one of ${expected}`
      : `unknown store kind ${JSON.stringify(kind)}; the kinds are ${expected}`;
  },
});

/** One store as a configuration file writes it. */
type StoreSpecInFile = z.infer<typeof StoreSpecSchema>;

/**
 * One store of a checked configuration: its kind and where it keeps its data. A store module
 * also carries the directory its path and options are relative to (the configuration file's).
 */
export type StoreSpec =
  | Exclude<StoreSpecInFile, { kind: 'module' }>
  | (Extract<StoreSpecInFile, { kind: 'module' }> & { readonly baseDir: string });

const RouteSchema = z.strictObject({
  prefix: z.string().min(1, 'must not be empty (the default store takes every stream no route matches)'),
  store: z.string(),
});

/** What a store name may look like: short, and safe to print in messages. */
const STORE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** The configuration file's schema. */
export const TauonConfigSchema = z
  .strictObject({
    /** The stores by name. */
    stores: z.record(z.string(), StoreSpecSchema),
    /** Streams whose name starts with `prefix` go to the named store; the longest prefix wins. */
    routes: z.array(RouteSchema).default([]),
    /** The store of every stream that no route matches; may be left out when there is one store. */
    default: z.string().optional(),
    /** The server's id in `welcome` and `info` (TauonServerOptions.serverId). Absent: the store's identity. */
    serverId: z.string().min(1, 'must not be empty').max(256, 'must have at most 256 characters').optional(),
    listen: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int('must be a whole number').min(0).max(65535).default(7600),
        /** The most client connections served at once (TauonServerOptions.maxConnections). */
        maxConnections: z.number().int('must be a whole number').min(1).optional(),
      })
      .default({ host: '127.0.0.1', port: 7600 }),
    /** Serve over RabbitMQ as well (`tauon serve --amqp`). */
    amqp: z
      .strictObject({
        url: z.string().regex(/^amqps?:\/\//i, 'must be an amqp:// or amqps:// URL'),
        service: z.string().min(1).default('tauon'),
        /** The CA to trust for an amqps:// broker (a PEM file), relative to the configuration file. */
        ca: z.string().min(1, 'must be a file name').optional(),
      })
      .optional(),
    /** Serve wss:// and https:// with this certificate and key. */
    tls: TlsSpecSchema.optional(),
    /** Which browser pages may use the server. */
    http: HttpSpecSchema.optional(),
    /** Who may use the server and what each may do (docs/security.md). Absent: everyone, everything. */
    auth: AuthConfigSchema.optional(),
    /** What one connection may cost the server (TauonServerOptions). */
    limits: z
      .strictObject({
        /** Most bytes a connection holds unsent before the server waits for it to drain. */
        maxBufferedBytes: z.number().int('must be a whole number').min(1024, 'must be at least 1024').optional(),
      })
      .optional(),
    /** What the server announces in `welcome` (heartbeat, limits) and the fell-behind threshold. */
    protocol: ProtocolSpecSchema.optional(),
    /**
     * Server-side projections: modules whose default export is a definition or an array of them
     * (docs/projections.md), by path starting with ./ or ../ (relative to the configuration file's
     * directory) or absolute, or by package name.
     */
    projections: z.array(z.string().min(1, 'must name a module: a path starting with ./ or ../, or a package name')).max(100, 'at most 100 modules').optional(),
  })
  .superRefine((config, context) => {
    const names = Object.keys(config.stores);
    const known = names.map((name) => `"${name}"`).join(', ');
    for (const name of names) {
      if (!STORE_NAME.test(name)) {
        context.addIssue({
          code: 'custom',
          path: ['stores', name],
          message: 'a store name starts with a letter and has only letters, digits, "_" and "-"',
        });
      }
    }
    if (names.length === 0) {
      context.addIssue({ code: 'custom', path: ['stores'], message: 'name at least one store' });
      return;
    }
    const used = new Set<string>();
    const prefixes = new Map<string, number>();
    config.routes.forEach((route, index) => {
      if (!(route.store in config.stores)) {
        context.addIssue({
          code: 'custom',
          path: ['routes', index, 'store'],
          message: `no store is named "${route.store}"; the stores are ${known}`,
        });
      }
      used.add(route.store);
      const first = prefixes.get(route.prefix);
      if (first !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['routes', index, 'prefix'],
          message: `prefix "${route.prefix}" is routed twice (also routes[${first}])`,
        });
      } else {
        prefixes.set(route.prefix, index);
      }
    });
    if (config.default === undefined) {
      if (names.length > 1) {
        context.addIssue({
          code: 'custom',
          path: ['default'],
          message: `missing: with more than one store, name the one that takes the streams no route matches (one of ${known})`,
        });
      }
    } else if (!(config.default in config.stores)) {
      context.addIssue({ code: 'custom', path: ['default'], message: `no store is named "${config.default}"; the stores are ${known}` });
    }
    // Which stores nothing uses is only clear once the default is.
    const fallback = config.default ?? (names.length === 1 ? names[0] : undefined);
    if (fallback === undefined || !(fallback in config.stores)) return;
    used.add(fallback);
    for (const name of names) {
      if (!used.has(name)) {
        context.addIssue({
          code: 'custom',
          path: ['stores', name],
          message: `store "${name}" is neither the default nor the store of a route`,
        });
      }
    }
  });

/** A checked configuration, with its defaults filled in; each projection module with the directory it is relative to. */
export type TauonConfig = Omit<z.infer<typeof TauonConfigSchema>, 'stores' | 'projections'> & {
  stores: Record<string, StoreSpec>;
  projections?: ProjectionModuleSpec[];
};

/** What the configuration file holds: the same shape, before defaults (for writing one in code). */
export type TauonConfigInput = z.input<typeof TauonConfigSchema>;

/**
 * A configuration that cannot be used: `problems` lists each one as `path: problem`, and the
 * message says where the configuration came from and lists them all.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    /** Where the configuration came from (a file name, or `--store`). */
    readonly source: string,
    /** Each problem, `path: problem` (the path is empty for the configuration as a whole). */
    readonly problems: readonly string[],
  ) {
    super(
      problems.length === 1
        ? `${source}: ${problems[0]!}`
        : `${source} has ${problems.length} problems:\n${problems.map((problem) => `  ${problem}`).join('\n')}`,
    );
  }
}

/**
 * Checks a configuration (the parsed JSON of a file), fills in its defaults, and resolves the
 * lmdb directories and secret files against `baseDir` (the configuration file's directory),
 * which store modules are also given.
 *
 * @throws ConfigError naming every field that is wrong, by its path.
 * @example
 * const config = parseConfig({ stores: { main: { kind: 'lmdb', path: './data' } } }, 'tauon.config.json', process.cwd());
 */
export function parseConfig(input: unknown, source: string, baseDir: string): TauonConfig {
  const result = TauonConfigSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((issue) => {
        const path = formatPath(issue.path);
        return path === '' ? issue.message : `${path}: ${issue.message}`;
      }),
    );
  }
  const { projections, ...config } = result.data;
  const stores = Object.fromEntries(
    Object.entries(config.stores).map(([name, spec]): [string, StoreSpec] => [
      name,
      spec.kind === 'lmdb' ? { ...spec, path: resolve(baseDir, spec.path) } : spec.kind === 'module' ? { ...spec, baseDir } : spec,
    ]),
  );
  return {
    ...config,
    stores,
    ...(config.tls === undefined ? {} : { tls: resolveTlsSpec(config.tls, baseDir) }),
    ...(config.amqp?.ca === undefined ? {} : { amqp: { ...config.amqp, ca: resolve(baseDir, config.amqp.ca) } }),
    ...(config.auth === undefined ? {} : { auth: resolveSecretFiles(config.auth, baseDir) }),
    ...(projections === undefined ? {} : { projections: projections.map((module) => ({ module, baseDir })) }),
  };
}

/**
 * Reads and checks a configuration file (JSON). Relative lmdb paths are relative to the file's
 * directory.
 *
 * @throws ConfigError when the file cannot be read, is not JSON, or is not a valid configuration.
 */
export async function loadConfig(file: string): Promise<TauonConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new ConfigError(file, [`cannot read the configuration: ${reason}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [`not valid JSON: ${error instanceof Error ? error.message : String(error)}`]);
  }
  return parseConfig(json, file, dirname(resolve(file)));
}

/** `routes[0].prefix`, `stores.main.kind`: a zod issue path as a reader writes it. */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text;
}
