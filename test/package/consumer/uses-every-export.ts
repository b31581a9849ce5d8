// Uses every subpath export of tauon as a consumer project does: copied into a fresh project by
// test/package/installed-package.int.test.ts and type-checked there with skipLibCheck off,
// strict, module NodeNext, with none of the optional drivers installed.
import { ERROR_CODES, PROTOCOL_VERSION, TauonError, msgpackCodec, type StoredEvent } from 'tauon/protocol';
import { commandHandler, connect, defineEvents, project, typed, type Client, type Decider, type StandardSchemaV1 } from 'tauon/client';
import { deciderSpec, DeciderSpecificationError } from 'tauon/testing';
import type { ClientTransport, Connection, ServerTransport } from 'tauon/transports';
import { MemoryServerTransport, memoryTransport } from 'tauon/transports/memory';
import { WsServerTransport, wsTransport } from 'tauon/transports/ws';
import { AmqpServerTransport, amqpTransport, discoverServers, type AmqpTransportOptions } from 'tauon/transports/amqp';
import {
  JetStreamStore,
  LmdbStore,
  MemoryStore,
  MissingDriverError,
  PostgresStore,
  RoutingStore,
  TauonServer,
  createHttpApi,
  type EventStore,
} from 'tauon/server';
import { describeEventStore, describeServer, RawPeer, type ServerUnderTest } from 'tauon/conformance';
import { describeEventStore as describeStoreOnly, type EventStoreContractOptions } from 'tauon/conformance/store';
import { describeServer as describeWireOnly, describeWebSocketBinding } from 'tauon/conformance/wire';
import { runConformance, summarize, WIRE_CASES, type CaseResult, type ConformanceCase } from 'tauon/conformance/runner';

/** Emits one event through an in-memory server and reads it back. */
export async function roundTrip(): Promise<StoredEvent[]> {
  const store: EventStore = new MemoryStore();
  const server = new TauonServer({ store });
  const serverTransport = new MemoryServerTransport();
  const listening: ServerTransport = serverTransport;
  await server.listen(listening);
  const transport: ClientTransport = memoryTransport(serverTransport);
  const client: Client = await connect(transport);
  try {
    const ack = await client.emit('orders', { type: 'OrderPlaced', data: { total: 42 } });
    const page = await client.read('orders', { from: { at: ack.seq } });
    return page.events;
  } finally {
    await client.close();
    await server.close();
    await store.close();
  }
}

/** Every other export, typed as a consumer would hold it. */
export const exportsInUse = {
  protocol: { ERROR_CODES, PROTOCOL_VERSION, TauonError, codec: msgpackCodec },
  ws: { WsServerTransport, wsTransport },
  amqp: { AmqpServerTransport, amqpTransport, discoverServers, options: { service: 'orders' } satisfies AmqpTransportOptions },
  server: { JetStreamStore, LmdbStore, PostgresStore, RoutingStore, createHttpApi, MissingDriverError },
  conformance: { describeEventStore, describeServer, RawPeer },
  aggregates: { commandHandler, deciderSpec, DeciderSpecificationError, counter: { initialState: () => 0, evolve: (n, event) => n + event.data, decide: (by) => ({ type: 'added', data: by }) } satisfies Decider<number, number, { type: string; data: number }> },
  typedEvents: { defineEvents, typed, project, declared: defineEvents({ Noted: { '~standard': { version: 1, vendor: 'consumer', validate: (value: unknown) => ({ value }) } } satisfies StandardSchemaV1 }) },
  conformanceSubpaths: { describeStoreOnly, describeWireOnly, describeWebSocketBinding, options: { densePositions: true } satisfies EventStoreContractOptions },
};

/** The wire kit without vitest, as a runner of another framework calls it. */
export async function conformanceOf(server: ServerUnderTest, only: string): Promise<string> {
  const cases: readonly ConformanceCase[] = WIRE_CASES;
  const results: CaseResult[] = await runConformance(cases, server, { only });
  const { passed, failed, skipped } = summarize(results);
  return `${passed} passed, ${failed} failed, ${skipped} skipped`;
}

/** A raw connection, as the wire suite takes one. */
export function underTest(connectTo: () => Promise<Connection>): ServerUnderTest {
  return { connect: connectTo };
}

/** What a missing driver looks like to a consumer. */
export function describeFailure(error: unknown): string {
  return error instanceof MissingDriverError ? `${error.code}: ${error.message}` : String(error);
}
