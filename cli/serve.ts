import { resolve } from 'node:path';
import type { ServerAnnouncer } from '../transports/amqp/index.js';
import { redactUrl } from '../transports/redact-url.js';
import { WsServerTransport } from '../transports/ws/index.js';
import { PROTOCOL_VERSION, SUPPORTED_VERSIONS } from '../protocol/version.js';
import { ConfigError, loadConfig, parseConfig, type TauonConfig } from '../server-reference/config.js';
import { describeStores, openConfiguredStore } from '../server-reference/config-open.js';
import { protocolOptions } from '../server-reference/config-protocol.js';
import { parseStoreUrl } from '../server-reference/config-store-url.js';
import { ProjectionDefinitionError, type ProjectionDefinition } from '../server-reference/projections/projection-definition.js';
import { loadProjectionModules } from '../server-reference/projections/projection-modules.js';
import { createHttpApi } from '../server-reference/http-api.js';
import { internalErrorsTo } from '../server-reference/log.js';
import { isLogLevel, LOG_LEVELS, serveLog, type LogLevel } from '../server-reference/log-pino.js';
import { TauonServer } from '../server-reference/server.js';
import { parseCommand, stringFlag, UsageError } from './arguments.js';
import { serveAccess } from './serve-access.js';
import { createListener, SERVE_DOOR_FLAGS, serveDoorsOf } from './serve-doors.js';

export const SERVE_USAGE =
  'tauon serve [--data DIR | --store URL | --config FILE] [--host H] [--port P] [--amqp URL] [--service NAME] [--allow-anonymous]\n' +
  '    [--max-connections N] [--server-id NAME] [--no-ui] [--log-level fatal|error|warn|info|debug|trace|silent]\n' +
  '    [--tls-cert FILE --tls-key FILE] [--allow-origin ORIGIN]... [--allow-host NAME]... [--amqp-ca FILE]\n' +
  '    URL: postgres://..., nats://... or lmdb:DIR; FILE: see docs/configuration.md (its "auth" locks the server: docs/security.md)';

/**
 * `tauon serve`: the reference server, WebSocket and HTTP on one port, and with `--amqp` also on
 * a RabbitMQ broker (consuming the service queue, announced for discovery). The store is the
 * lmdb store in `--data` (default `./data`), the one store `--store` names, or the stores and
 * routes of a configuration file (`--config`); flags given beside `--config` override its
 * `listen` and `amqp`. Clients authenticate as the configuration's `auth` says; without it, a
 * server reachable from other machines refuses to start unless `--allow-anonymous` is given.
 * The HTTP listener also serves the web view at /ui, unless `--no-ui`. Runs until SIGINT or
 * SIGTERM, then closes connections and the store cleanly.
 */
export async function serve(args: readonly string[], out: (line: string) => void): Promise<void> {
  const { values, positionals } = parseCommand(args, {
    data: { type: 'string' },
    store: { type: 'string' },
    config: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    amqp: { type: 'string' },
    service: { type: 'string' },
    'max-connections': { type: 'string' },
    'server-id': { type: 'string' },
    'log-level': { type: 'string' },
    ...SERVE_DOOR_FLAGS,
    'allow-anonymous': { type: 'boolean' },
    'no-ui': { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  // JSON lines on stderr (docs/observability.md); stdout keeps the lines for people printed below.
  const log = serveLog(logLevelOf(values));
  const config = await configOf(values);
  const host = stringFlag(values, 'host', config.listen.host);
  const port = Number(stringFlag(values, 'port', String(config.listen.port)));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535`);
  const maxConnections = maxConnectionsOf(values, config.listen.maxConnections);
  const amqpUrl = typeof values['amqp'] === 'string' ? values['amqp'] : config.amqp?.url;
  const service = stringFlag(values, 'service', config.amqp?.service ?? 'tauon');
  const access = await serveAccess({
    host,
    amqpUrl,
    auth: config.auth,
    allowAnonymous: values['allow-anonymous'] === true,
    source: typeof values['config'] === 'string' ? values['config'] : 'the configuration',
  });

  const doors = await serveDoorsOf(values, config);
  // Projection modules are loaded and checked before any store is opened.
  const projections = await projectionsOf(config);
  const store = await openConfiguredStore(config);
  const maxBufferedBytes = config.limits?.maxBufferedBytes;
  // The server id: --server-id, else the configuration's, else the store's identity (stable across restarts).
  const serverId = serverIdOf(values, config.serverId);
  const server = new TauonServer({
    store,
    ...(serverId === undefined ? {} : { serverId }),
    ...protocolOptions(config.protocol),
    ...(maxConnections === undefined ? {} : { maxConnections }),
    ...(access.authenticate === undefined ? {} : { authenticate: access.authenticate }),
    ...(maxBufferedBytes === undefined ? {} : { maxBufferedBytes }),
    ...(projections.length === 0 ? {} : { projections }),
    log,
    errorLog: internalErrorsTo(log),
  });
  const { allowOrigins, allowHosts } = doors;
  const http = createListener(doors, createHttpApi(server, { allowOrigins, allowHosts, ui: values['no-ui'] !== true }));
  await server.listen(new WsServerTransport({ server: http, allowOrigins, allowHosts }));
  const ca = doors.amqpCa === undefined ? {} : { ca: doors.amqpCa };
  let announcer: ServerAnnouncer | undefined;
  if (amqpUrl !== undefined) {
    // The AMQP transport (and amqplib, an optional dependency) only for a server on a broker.
    const { AmqpServerTransport, ServerAnnouncer } = await import('../transports/amqp/index.js');
    await server.listen(new AmqpServerTransport({ url: amqpUrl, service, ...ca }));
    announcer = new ServerAnnouncer({
      url: amqpUrl,
      announcement: () => ({
        name: 'tauon',
        id: server.serverId,
        service,
        protocolVersion: PROTOCOL_VERSION,
        versions: [...SUPPORTED_VERSIONS],
        stores: [...(store.kinds ?? [store.kind])],
      }),
      ...ca,
    });
    await announcer.start();
  }
  await new Promise<void>((ready, fail) => {
    http.once('error', fail);
    http.listen(port, host, () => ready());
  });
  const address = http.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  const secure = doors.tls === undefined ? '' : 's';
  out(`tauon: serving ws${secure}://${host}:${bound}/ and http${secure}://${host}:${bound}/ (${describeStores(config)})`);
  if (amqpUrl !== undefined) out(`tauon: serving on ${redactUrl(amqpUrl)} as service "${service}"`);
  out(`tauon: server id ${server.serverId}, store ${store.id}`);
  for (const line of access.lines) out(line);
  log.info({ ws: `ws${secure}://${host}:${bound}/`, http: `http${secure}://${host}:${bound}/`, serverId: server.serverId, storeId: store.id, stores: describeStores(config) }, 'listening');

  await new Promise<void>((stop) => {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  out('tauon: stopping');
  log.info('stopping');
  await announcer?.stop();
  await server.close();
  await new Promise<void>((closed) => http.close(() => closed()));
  await store.close();
}

/** The projections of the configuration's modules; a module that is not one is a usage error (exit 2). */
async function projectionsOf(config: TauonConfig): Promise<ProjectionDefinition[]> {
  try {
    return await loadProjectionModules(config.projections ?? []);
  } catch (error) {
    if (error instanceof ProjectionDefinitionError) throw new UsageError(error.message);
    throw error;
  }
}

/** `--max-connections`, else the configuration's `listen.maxConnections`, else the server's default. */
function maxConnectionsOf(values: Record<string, string | boolean | undefined>, configured: number | undefined): number | undefined {
  const flag = values['max-connections'];
  if (typeof flag !== 'string') return configured;
  const count = Number(flag);
  if (!/^\d+$/.test(flag) || !Number.isSafeInteger(count) || count < 1) throw new UsageError('--max-connections must be a positive integer');
  return count;
}

/** `--log-level`: `info` unless given. */
function logLevelOf(values: Record<string, string | boolean | undefined>): LogLevel {
  const level = stringFlag(values, 'log-level', 'info');
  if (!isLogLevel(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not "${level}"`);
  return level;
}

/** `--server-id`, else the configuration's `serverId`; undefined leaves the server's default (the store's identity). */
function serverIdOf(values: Record<string, string | boolean | undefined>, configured: string | undefined): string | undefined {
  const flag = values['server-id'];
  if (typeof flag !== 'string') return configured;
  if (flag.length < 1 || flag.length > 256) throw new UsageError('--server-id must have 1 to 256 characters');
  return flag;
}

/**
 * The configuration the flags ask for: the file of `--config`, the one store of `--store`, or
 * the lmdb store of `--data`. A configuration that cannot be used is a usage error (exit 2).
 */
async function configOf(values: Record<string, string | boolean | undefined>): Promise<TauonConfig> {
  const given = (['config', 'store', 'data'] as const).filter((flag) => typeof values[flag] === 'string');
  if (given.length > 1) throw new UsageError(`--${given.join(', --')}: give only one, each says where events are kept`);
  try {
    const file = values['config'];
    if (typeof file === 'string') return await loadConfig(file);
    const url = values['store'];
    const spec =
      typeof url === 'string'
        ? parseStoreUrl(url, process.cwd())
        : { kind: 'lmdb' as const, path: resolve(stringFlag(values, 'data', './data')) };
    return parseConfig({ stores: { main: spec } }, typeof url === 'string' ? '--store' : '--data', process.cwd());
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}
