import { WebSocket } from 'ws';

/**
 * The server's `ws` socket (WebSocketServer's `WebSocket` option), which lets the connection
 * answer a message above `maxPayload` before it closes. `ws` refuses such a message as soon as
 * its header names the length, and closes the socket with 1009 at once (its receiver calls
 * `close(1009)` with no reason, the only call it makes that way), leaving no room for the
 * `error {code: "too-large"}` the protocol sends first. With a handler set, that close is handed
 * to the handler instead, which sends what it has to say and closes with a code and reason of its
 * own; the message itself is never read.
 */
export class AnsweringWebSocket extends WebSocket {
  #onTooLarge: (() => void) | undefined;

  /** Sets what happens when the peer sends a message above `maxPayload` (else: close 1009). */
  set onTooLarge(handler: () => void) {
    this.#onTooLarge = handler;
  }

  override close(code?: number, data?: string | Buffer): void {
    const handler = this.#onTooLarge;
    if (code === 1009 && data === undefined && handler !== undefined && this.readyState === this.OPEN) {
      this.#onTooLarge = undefined;
      handler();
      // The handler closes; should it not have, the socket still must.
      if (this.readyState === this.OPEN) super.close(1009);
      return;
    }
    super.close(code, data);
  }
}
