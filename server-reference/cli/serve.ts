import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { AmqpServerTransport, redactUrl, ServerAnnouncer } from '../../transports/amqp/index.js';
import { WsServerTransport } from '../../transports/ws/index.js';
import { PROTOCOL_VERSION, SUPPORTED_VERSIONS } from '../../protocol/version.js';
import { createHttpApi } from '../http-api.js';
import { TauonServer } from '../server.js';
import { LmdbStore } from '../stores/lmdb-store.js';
import { parseCommand, stringFlag, UsageError } from './arguments.js';

export const SERVE_USAGE = 'tauon serve [--data DIR] [--host H] [--port P] [--amqp URL] [--service NAME]';

/**
 * `tauon serve`: the reference server on the embedded lmdb store, WebSocket and HTTP on one
 * port, and with `--amqp` also on a RabbitMQ broker (consuming the service queue, announced for
 * discovery). Runs until SIGINT or SIGTERM, then closes connections and the store cleanly.
 */
export async function serve(args: readonly string[], out: (line: string) => void): Promise<void> {
  const { values, positionals } = parseCommand(args, {
    data: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    amqp: { type: 'string' },
    service: { type: 'string' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const data = resolve(stringFlag(values, 'data', './data'));
  const host = stringFlag(values, 'host', '127.0.0.1');
  const port = Number(stringFlag(values, 'port', '7600'));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535`);

  const store = await LmdbStore.open(data);
  const server = new TauonServer({ store });
  const http = createServer(createHttpApi(server));
  await server.listen(new WsServerTransport({ server: http }));
  const amqpUrl = typeof values['amqp'] === 'string' ? values['amqp'] : undefined;
  const service = stringFlag(values, 'service', 'tauon');
  let announcer: ServerAnnouncer | undefined;
  if (amqpUrl !== undefined) {
    await server.listen(new AmqpServerTransport({ url: amqpUrl, service }));
    announcer = new ServerAnnouncer({
      url: amqpUrl,
      announcement: () => ({
        name: 'tauon',
        id: server.serverId,
        service,
        protocolVersion: PROTOCOL_VERSION,
        versions: [...SUPPORTED_VERSIONS],
        stores: [store.kind],
      }),
    });
    await announcer.start();
  }
  await new Promise<void>((ready, fail) => {
    http.once('error', fail);
    http.listen(port, host, () => ready());
  });
  const address = http.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  out(`tauon: serving ws://${host}:${bound}/ and http://${host}:${bound}/ (lmdb store in ${data})`);
  if (amqpUrl !== undefined) out(`tauon: serving on ${redactUrl(amqpUrl)} as service "${service}"`);

  await new Promise<void>((stop) => {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  out('tauon: stopping');
  await announcer?.stop();
  await server.close();
  await new Promise<void>((closed) => http.close(() => closed()));
  await store.close();
}
