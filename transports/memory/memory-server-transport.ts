import { TauonError } from '../../protocol/errors.js';
import type { ClientTransport, Connection, ServerTransport } from '../transport.js';
import { CloseCodes } from '../transport.js';
import { createMemoryPair } from './memory-connection.js';

/** Options of {@link MemoryServerTransport}. */
export interface MemoryServerTransportOptions {
  /**
   * A name for logs and for the client transport's description (`memory:<name>`).
   * @default 'server'
   */
  readonly name?: string;
}

/**
 * A server transport inside the process: clients reach it through {@link memoryTransport}, and
 * each connection is a {@link createMemoryPair} pair. For tests and for an embedded server.
 * Runtime-neutral.
 *
 * @example
 * ```ts
 * const serverTransport = new MemoryServerTransport();
 * await serverTransport.listen((connection) => engine.accept(connection));
 * const connection = await memoryTransport(serverTransport).connect();
 * ```
 */
export class MemoryServerTransport implements ServerTransport {
  /** The name given in the options. */
  readonly name: string;

  #onConnection: ((connection: Connection) => void) | undefined;
  #closed = false;
  readonly #open = new Set<Connection>();

  constructor(options: MemoryServerTransportOptions = {}) {
    this.name = options.name ?? 'server';
  }

  listen(onConnection: (connection: Connection) => void): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new TauonError('closed', `memory server ${this.name} is closed`));
    }
    if (this.#onConnection !== undefined) {
      return Promise.reject(new TauonError('internal', `memory server ${this.name} is already listening`));
    }
    this.#onConnection = onConnection;
    return Promise.resolve();
  }

  /**
   * Opens a connection to this server: the server's end goes to the `listen` handler, the client's
   * end is returned. Rejects with a `closed` TauonError when the server is not listening (not yet,
   * or no longer), or when its handler throws.
   */
  connect(): Promise<Connection> {
    const onConnection = this.#onConnection;
    if (this.#closed || onConnection === undefined) {
      const state = this.#closed ? 'closed' : 'not listening';
      return Promise.reject(new TauonError('closed', `cannot connect to memory:${this.name}: server is ${state}`));
    }
    const [clientEnd, serverEnd] = createMemoryPair();
    this.#open.add(serverEnd);
    void serverEnd.closed.then(() => this.#open.delete(serverEnd));
    try {
      onConnection(serverEnd);
    } catch (error) {
      serverEnd.close(CloseCodes.internal, 'connection handler failed');
      return Promise.reject(
        new TauonError('closed', `cannot connect to memory:${this.name}: the server's handler failed`, {
          cause: error,
        }),
      );
    }
    return Promise.resolve(clientEnd);
  }

  /** Stops accepting and closes every open connection (code 1001), resolving once all closed. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#onConnection = undefined;
    const open = [...this.#open];
    for (const connection of open) connection.close(CloseCodes.goingAway, 'server closing');
    await Promise.all(open.map((connection) => connection.closed));
  }
}

/**
 * A client transport to an in-process {@link MemoryServerTransport}.
 *
 * @example
 * ```ts
 * const client = await connect(memoryTransport(serverTransport));
 * ```
 */
export function memoryTransport(server: MemoryServerTransport): ClientTransport {
  return {
    description: `memory:${server.name}`,
    connect: () => server.connect(),
  };
}
