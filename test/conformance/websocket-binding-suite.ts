import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

/** An origin no server under test allows: `.invalid` is reserved and never resolves. */
export const DISALLOWED_ORIGIN = 'https://disallowed.invalid';

/** How an upgrade request ended: the HTTP status of a refusal, or "open" with the frames received before it was closed. */
function upgrade(url: string, headers: Record<string, string>): Promise<{ status: number | 'open'; messages: number }> {
  return new Promise((resolve, reject) => {
    let messages = 0;
    const socket = new WebSocket(url, { headers });
    socket.on('message', () => (messages += 1));
    socket.on('open', () => {
      socket.close();
      resolve({ status: 'open', messages });
    });
    socket.on('unexpected-response', (_request, response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, messages });
    });
    socket.on('error', reject);
  });
}

/**
 * The cases of the WebSocket binding (protocol/SPEC.md, 15.1) about the upgrade itself: a page of
 * an origin the server does not allow is refused with 403 before any frame; a client without an
 * Origin header (not a browser) is not. Run against a server that does not allow every origin.
 *
 * @param webSocketUrl The server's WebSocket URL, read once the server runs.
 */
export function describeWebSocketBinding(webSocketUrl: () => string): void {
  describe('WebSocket binding', () => {
    it('refuses the upgrade of a page whose origin it does not allow, with 403 and no frame', async () => {
      expect(await upgrade(webSocketUrl(), { Origin: DISALLOWED_ORIGIN })).toEqual({ status: 403, messages: 0 });
    });

    it('accepts the upgrade of a client that sends no Origin', async () => {
      expect((await upgrade(webSocketUrl(), {})).status).toBe('open');
    });
  });
}
