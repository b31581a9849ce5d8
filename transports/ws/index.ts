/**
 * The WebSocket transport: the client ({@link wsTransport}, for browsers and Node) and the Node
 * server ({@link WsServerTransport}, riding on an HTTP server; {@link listenWs} to start one).
 * Browser bundles should import `./client.js`, which has nothing of the server.
 * @module tauon/transports/ws
 */
export { wsTransport } from './ws-client-transport.js';
export type { WsTransportOptions } from './ws-client-transport.js';
export type { WebSocketConstructor, WebSocketLike } from './websocket-like.js';
export { WsServerTransport } from './ws-server-transport.js';
export type { WsServerTransportOptions } from './ws-server-transport.js';
export { listenWs } from './listen-ws.js';
export { BrowserGuard, normalizeOrigin } from './browser-guard.js';
export type { BrowserGuardOptions, BrowserRefusal } from './browser-guard.js';
export type { ListenWsOptions, WsListener } from './listen-ws.js';
