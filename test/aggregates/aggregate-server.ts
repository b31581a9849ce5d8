import { connect } from '../../client/connect.js';
import type { Client, ReadOptions, ReadResult } from '../../client/types.js';
import { startServer, type RunningServer, type TransportKind } from '../support/harness.js';

/** A reference server with a client connected to it, for one test. */
export interface AggregateServer {
  readonly running: RunningServer;
  readonly client: Client;
  /** Connects one more client (closed with the rest). */
  another(): Promise<Client>;
  close(): Promise<void>;
}

/** Starts a reference server on a fresh memory store and connects a client. */
export async function startAggregateServer(kind: TransportKind = 'memory'): Promise<AggregateServer> {
  const running = await startServer(kind);
  const clients: Client[] = [];
  const open = async () => {
    const client = await connect(running.transport);
    clients.push(client);
    return client;
  };
  const client = await open();
  return {
    running,
    client,
    another: open,
    async close() {
      for (const each of clients) await each.close();
      await running.close();
    },
  };
}

/** The events the server sent in answer to reads, and the pages, counted by stream: a client that passes every read on and counts what came back. */
export function countingReads(client: Client): { client: Client; eventsRead: Map<string, number>; pages: Map<string, number> } {
  const eventsRead = new Map<string, number>();
  const pages = new Map<string, number>();
  const read = async (stream: string, options?: ReadOptions): Promise<ReadResult> => {
    const page = await client.read(stream, options);
    eventsRead.set(stream, (eventsRead.get(stream) ?? 0) + page.events.length);
    pages.set(stream, (pages.get(stream) ?? 0) + 1);
    return page;
  };
  const counting = new Proxy(client, {
    get(target, property) {
      if (property === 'read') return read;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { client: counting, eventsRead, pages };
}
