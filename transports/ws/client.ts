/**
 * The WebSocket client transport alone, with nothing of the Node server: the entry for browser
 * bundles. Runtime-neutral.
 * @module
 */
export { wsTransport } from './ws-client-transport.js';
export type { WsTransportOptions } from './ws-client-transport.js';
export type { WebSocketConstructor, WebSocketLike } from './websocket-like.js';
