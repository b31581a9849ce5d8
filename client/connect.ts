import type { ClientTransport } from '../transports/transport.js';
import { TauonClient } from './client.js';
import { resolveOptions } from './options.js';
import type { Client, ConnectOptions } from './types.js';

/**
 * Connects to a Tauon server over a transport and resolves with the client once the server has
 * answered `hello` with `welcome`.
 *
 * Rejects with a `TauonError` when the first connection fails: `HandshakeRejectedError` (code
 * `unauthorized`, `unsupported-version`, ...) when the server refuses, `ConnectionClosedError`
 * (code `closed`) when it cannot be reached, a `timeout` error when it does not answer. With
 * `waitOnFirstConnect` it keeps dialing by the reconnect policy instead, until it succeeds or
 * `maxAttempts` runs out.
 *
 * @example
 * ```ts
 * const client = await connect(wsTransport('ws://127.0.0.1:7600'), { token });
 * await client.emit('orders', { type: 'OrderPlaced', key: 'order-1', data: { total: 12 } });
 * client.subscribe('orders').subscribe({
 *   next: (event) => console.log(event.seq, event.type),
 *   error: (error) => console.error('the subscription ended:', error),
 * });
 * ```
 */
export async function connect(transport: ClientTransport, options?: ConnectOptions): Promise<Client> {
  const client = new TauonClient(transport, resolveOptions(options));
  await client.start();
  return client;
}
