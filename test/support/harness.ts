import type { ClientTransport, Connection } from '../../transports/transport.js';
import { MemoryServerTransport, memoryTransport } from '../../transports/memory/index.js';
import { listenWs, wsTransport } from '../../transports/ws/index.js';
import { TauonServer, type TauonServerOptions } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory-store.js';
import type { EventStore } from '../../server-reference/stores/event-store.js';

/** The transports every integration suite runs over. */
export const TRANSPORTS = ['memory', 'ws'] as const;
export type TransportKind = (typeof TRANSPORTS)[number];

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
  options: Partial<TauonServerOptions> & { store?: EventStore } = {},
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
    },
  };
}
