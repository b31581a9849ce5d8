/**
 * The part of the WHATWG WebSocket API the client transport uses. The global `WebSocket` of
 * browsers and Node 22+ and the `ws` package's `WebSocket` all have it. Runtime-neutral.
 * @module
 */

/** How a socket hands binary messages over: 'nodebuffer' only the `ws` package knows. */
export type SocketBinaryType = 'arraybuffer' | 'nodebuffer';

/** A WebSocket as the client transport sees it. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  addEventListener(
    type: 'close',
    listener: (event: { readonly code: number; readonly reason: string }) => void,
  ): void;
  addEventListener(type: 'open' | 'error', listener: (event: unknown) => void): void;
}

/**
 * A WebSocket constructor. The third argument is for implementations that take options (the `ws`
 * package: headers, timeouts); standard ones ignore it.
 */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  options?: Record<string, unknown>,
) => WebSocketLike;

/** `readyState` of an open WebSocket. */
export const WEBSOCKET_OPEN = 1;
