import type { ConnectionOptions } from 'node:tls';
import { TauonError } from '../../protocol/errors.js';

/**
 * The certificates of the authorities to trust for an `amqps://` broker, instead of the system's
 * (PEM text or bytes, one or several): for a broker whose certificate is self-signed or signed by
 * a private CA. Node's `tls` `ca` option, handed to amqplib.
 */
export type BrokerCa = string | Uint8Array | readonly (string | Uint8Array)[];

/**
 * The TLS socket options amqplib gets for `url`: `{ ca }` when a CA is given.
 * @throws TauonError `closed` when a CA is given for a URL that is not `amqps://` (the connection
 *   would not use it, and the user thinks it is encrypted).
 */
export function brokerTlsOptions(url: string, ca: BrokerCa | undefined): Pick<ConnectionOptions, 'ca'> {
  if (ca === undefined) return {};
  if (!/^amqps:\/\//i.test(url)) {
    throw new TauonError('closed', 'a CA is given for the broker, but its URL is not amqps://: TLS needs an amqps:// URL');
  }
  return { ca: typeof ca === 'string' || ca instanceof Uint8Array ? pem(ca) : ca.map(pem) };
}

/** PEM text as Node's tls takes it: a string, or the bytes as a Buffer (no copy). */
function pem(certificate: string | Uint8Array): string | Buffer {
  return typeof certificate === 'string'
    ? certificate
    : Buffer.from(certificate.buffer, certificate.byteOffset, certificate.byteLength);
}
