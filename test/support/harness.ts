import { randomUUID } from 'node:crypto';
import type { ClientTransport, Connection } from '../../transports/transport.js';
import { MemoryServerTransport, memoryTransport } from '../../transports/memory/index.js';
import { listenWs, wsTransport } from '../../transports/ws/index.js';
import { AmqpServerTransport, amqpTransport } from '../../transports/amqp/index.js';
import { requireService } from './services.js';
import { TauonServer, type TauonServerOptions } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';

export type TransportKind = 'memory' | 'ws' | 'amqp';

/** The broker the amqp transport uses in tests. */
export const AMQP_URL = 'amqp://127.0.0.1';

/**
 * The transports every integration suite runs over: memory, ws, and amqp where RabbitMQ answers
 * (where it does not, the amqp runs are skipped with a message, or fail under
 * TAUON_REQUIRE_SERVICES=1).
 */
export const TRANSPORTS: readonly TransportKind[] = [
  'memory',
  'ws',
  ...((await requireService('RabbitMQ', 5672)) ? (['amqp'] as const) : []),
];

/** A reference server running for one test, reachable over one transport. */
export interface RunningServer {
  readonly server: TauonServer;
  readonly store: EventStore;
  /** A client transport that reaches the server. */
  readonly transport: ClientTransport;
  /** Opens a raw connection (for the wire suite and bad-input tests). */
  connect(): Promise<Connection>;
  /** Stops the server (not the store, unless it was made here). */
  close(): Promise<void>;
}

/** Starts a reference server on a fresh memory store (or the given one) over a transport. */
export async function startServer(
  kind: TransportKind,
  options: Partial<TauonServerOptions> & { store?: EventStore; onClose?: () => Promise<void> } = {},
): Promise<RunningServer> {
  const ownStore = options.store === undefined;
  const store = options.store ?? new MemoryStore();
  const server = new TauonServer({ ...options, store });
  let transport: ClientTransport;
  let stopTransport: () => Promise<void>;
  if (kind === 'memory') {
    const listener = new MemoryServerTransport();
    await server.listen(listener);
    transport = memoryTransport(listener);
    stopTransport = async () => {};
  } else if (kind === 'amqp') {
    // A service queue of its own, so that tests running at the same time never meet.
    const service = `tauon-test-${randomUUID()}`;
    await server.listen(new AmqpServerTransport({ url: AMQP_URL, service }));
    transport = amqpTransport(AMQP_URL, { service });
    stopTransport = async () => {};
  } else {
    const ws = await listenWs({ host: '127.0.0.1', port: 0 });
    await server.listen(ws.transport);
    transport = wsTransport(ws.url);
    stopTransport = () => ws.close();
  }
  return {
    server,
    store,
    transport,
    connect: () => transport.connect(),
    async close() {
      await server.close();
      await stopTransport();
      if (ownStore) await store.close();
      await options.onClose?.();
    },
  };
}
