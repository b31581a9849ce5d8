import { connect as connectTcp, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';

/** A TLS endpoint in front of a plain TCP service, as stunnel or a load balancer gives one. */
export interface TlsProxy {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** Stops listening and cuts every connection. */
  close(): Promise<void>;
}

/**
 * Terminates TLS with `cert` and `key` on a free port of 127.0.0.1 and pipes each connection to
 * the plain service at 127.0.0.1:`targetPort`: the broker then speaks amqps:// through it, with
 * a certificate made in the test, where the broker itself has no TLS listener.
 */
export async function startTlsProxy(options: { cert: string; key: string; targetPort: number }): Promise<TlsProxy> {
  const open = new Set<Socket | TLSSocket>();
  const track = (socket: Socket | TLSSocket): void => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createTlsServer({ cert: options.cert, key: options.key }, (secure) => {
    track(secure);
    const plain = connectTcp(options.targetPort, '127.0.0.1');
    track(plain);
    secure.pipe(plain).pipe(secure);
    secure.on('close', () => plain.destroy());
    plain.on('close', () => secure.destroy());
  });
  // A client that refuses the certificate aborts the handshake: not an error of the proxy.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((closed) => {
        for (const socket of open) socket.destroy();
        server.close(() => closed());
      }),
  };
}
