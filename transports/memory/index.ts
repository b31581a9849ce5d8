/**
 * The in-memory transport: a duplex pair of connections, and a server transport that clients in
 * the same process connect to. Runtime-neutral.
 * @module tauon/transports/memory
 */
export { createMemoryPair } from './memory-connection.js';
export { MemoryServerTransport, memoryTransport } from './memory-server-transport.js';
export type { MemoryServerTransportOptions } from './memory-server-transport.js';
