import type { ServerTransport } from '../transports/transport.js';

/** The transports the metrics and logs name, by their class. */
const KNOWN_TRANSPORTS: ReadonlyMap<string, string> = new Map([
  ['WsServerTransport', 'ws'],
  ['AmqpServerTransport', 'amqp'],
  ['MemoryServerTransport', 'memory'],
]);

/**
 * The short name of a server transport, as the `transport` label of the metrics and the log
 * lines give it: `ws`, `amqp`, `memory`, or `other` for a transport of another making. A fixed
 * set, so that no label value comes from outside the server.
 */
export function transportName(transport: ServerTransport): string {
  return KNOWN_TRANSPORTS.get(transport.constructor.name) ?? 'other';
}
