/**
 * The AMQP transport, Muon-style (protocol/SPEC.md, section 15.2): servers consume a service
 * queue on a broker such as RabbitMQ; each client connection gets its own reply queue and a
 * session queue on the server that accepted it. The client ({@link amqpTransport}) and the server
 * ({@link AmqpServerTransport}); discovery: servers announce themselves ({@link ServerAnnouncer}) and
 * clients list the live ones ({@link ServerDirectory}, {@link discoverServers}). Node only (amqplib).
 * @module tauon/transports/amqp
 */
export { AmqpClientTransport, amqpTransport } from './amqp-client-transport.js';
export type { AmqpTransportOptions, BrokerConnection } from './amqp-client-transport.js';
export { AmqpServerTransport, SERVICE_QUEUE_EXPIRES_MS } from './amqp-server-transport.js';
export type { AmqpServerTransportOptions } from './amqp-server-transport.js';
export type { ReconnectOptions } from './reconnect-delay.js';
export { redactUrl } from '../redact-url.js';
export type { BrokerCa } from './broker-tls.js';
export { CloseHeaders, ContentTypes, DEFAULT_SERVICE, MessageTypes } from './binding.js';
export { ServerAnnouncer, type ServerAnnouncerOptions } from './announcer.js';
export {
  ServerDirectory,
  discoverServers,
  MAX_DIRECTORY_ENTRIES,
  type ServerDirectoryOptions,
  type DiscoverServersOptions,
} from './discovery.js';
export {
  ServerAnnouncementSchema,
  DEFAULT_DISCOVERY_EXCHANGE,
  DEFAULT_ANNOUNCE_INTERVAL_MS,
  type ServerAnnouncement,
} from './discovery-announcement.js';
export type { DiscoveryReconnectOptions } from './discovery-reconnect-options.js';
export { MissingDriverError } from '../optional-driver.js';
