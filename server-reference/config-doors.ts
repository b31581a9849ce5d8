import { resolve } from 'node:path';
import { z } from 'zod';
import { normalizeOrigin } from '../transports/ws/browser-guard.js';

/*
 * The parts of the configuration file that say who may come in, and how: TLS for the listen
 * address (`tls`) and which browser pages may use the server (`http`). Reference:
 * docs/configuration.md and docs/security.md.
 */

/** `tls`: serve wss:// and https:// with this certificate and key (PEM files). */
export const TlsSpecSchema = z.strictObject({
  /** The certificate chain, PEM; relative to the configuration file's directory. */
  cert: z.string().min(1, 'must be a file name'),
  /** Its private key, PEM; relative to the configuration file's directory. */
  key: z.string().min(1, 'must be a file name'),
});

/** `tls` of a configuration. */
export type TlsSpec = z.infer<typeof TlsSpecSchema>;

/** `http`: which browser pages may use the server, and for which names on loopback. */
export const HttpSpecSchema = z.strictObject({
  /** Origins whose pages may connect and call the HTTP API; `"*"` for every origin. */
  allowOrigins: z
    .array(z.string().refine((origin) => origin === '*' || normalizeOrigin(origin) !== undefined, 'must be an origin, scheme://host[:port], or "*"'))
    .default([]),
  /** Host names a request on loopback may name besides localhost, 127.x.x.x and [::1]; `"*"` for any. */
  allowHosts: z.array(z.string().regex(/^(\*|[^\s/@?#:]+|\[[0-9a-fA-F:.]+\])$/, 'must be a host name without port, or "*"')).default([]),
});

/** `http` of a configuration. */
export type HttpSpec = z.infer<typeof HttpSpecSchema>;

/** The TLS files resolved against the configuration file's directory. */
export function resolveTlsSpec(spec: TlsSpec, baseDir: string): TlsSpec {
  return { cert: resolve(baseDir, spec.cert), key: resolve(baseDir, spec.key) };
}
