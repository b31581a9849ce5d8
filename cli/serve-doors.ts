import { readFile } from 'node:fs/promises';
import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { TauonConfig } from '../server-reference/config.js';
import { BrowserGuard } from '../transports/ws/browser-guard.js';
import { UsageError } from './arguments.js';

/*
 * The doors of `tauon serve`: TLS (`--tls-cert`, `--tls-key`), which browser pages may come in
 * (`--allow-origin`, `--allow-host`), and the CA of an amqps:// broker (`--amqp-ca`). Flags
 * override the configuration file's `tls`, `http` and `amqp.ca`.
 */

/** The flags of `tauon serve` this file reads (node:util parseArgs options). */
export const SERVE_DOOR_FLAGS = {
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'allow-origin': { type: 'string', multiple: true },
  'allow-host': { type: 'string', multiple: true },
  'amqp-ca': { type: 'string' },
} as const;

/** What `tauon serve` listens with: the certificate and key (PEM text), the browser allow-lists, the broker's CA. */
export interface ServeDoors {
  readonly tls: { readonly cert: string; readonly key: string } | undefined;
  readonly allowOrigins: readonly string[];
  readonly allowHosts: readonly string[];
  readonly amqpCa: string | undefined;
}

/** A flag's values: parseArgs gives a `multiple` flag as an array; each may be a comma list. */
function listFlag(values: Readonly<Record<string, unknown>>, name: string): string[] | undefined {
  const given = values[name];
  if (given === undefined) return undefined;
  const texts = Array.isArray(given) ? (given as unknown[]) : [given];
  return texts.flatMap((text) => String(text).split(',')).map((item) => item.trim()).filter((item) => item !== '');
}

/** The flag's file, else the configuration's; undefined when neither names one. */
function fileOf(values: Readonly<Record<string, unknown>>, flag: string, configured: string | undefined): string | undefined {
  const given = values[flag];
  return typeof given === 'string' ? given : configured;
}

async function readPem(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new UsageError(`${what}: cannot read ${file}: ${reason}`);
  }
}

/**
 * Reads the doors of `tauon serve` from its flags and configuration.
 * @throws UsageError for a certificate without key (or the reverse), a file that cannot be read,
 *   a certificate and key that are not a usable pair, or an origin that is not one.
 */
export async function serveDoorsOf(values: Readonly<Record<string, unknown>>, config: TauonConfig): Promise<ServeDoors> {
  const certFile = fileOf(values, 'tls-cert', config.tls?.cert);
  const keyFile = fileOf(values, 'tls-key', config.tls?.key);
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together: TLS needs the certificate and its key');
  }
  const tls =
    certFile === undefined || keyFile === undefined
      ? undefined
      : { cert: await readPem(certFile, '--tls-cert'), key: await readPem(keyFile, '--tls-key') };
  if (tls !== undefined) {
    try {
      // Checked before anything opens: PEM that does not parse, or a key of another certificate.
      createSecureContext(tls);
    } catch (error) {
      throw new UsageError(`--tls-cert/--tls-key: ${certFile} and ${keyFile} are not a usable certificate and key: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const allowOrigins = listFlag(values, 'allow-origin') ?? config.http?.allowOrigins ?? [];
  const allowHosts = listFlag(values, 'allow-host') ?? config.http?.allowHosts ?? [];
  try {
    new BrowserGuard({ allowOrigins, allowHosts });
  } catch (error) {
    throw new UsageError(`--allow-origin: ${error instanceof Error ? error.message : String(error)}`);
  }
  const caFile = fileOf(values, 'amqp-ca', config.amqp?.ca);
  const amqpCa = caFile === undefined ? undefined : await readPem(caFile, '--amqp-ca');
  return { tls, allowOrigins, allowHosts, amqpCa };
}

/**
 * The server `tauon serve` listens with: HTTPS with the doors' certificate (WebSocket on it is
 * wss://), else plain HTTP.
 */
export function createListener(doors: ServeDoors, onRequest: RequestListener): Server | HttpsServer {
  return doors.tls === undefined ? createServer(onRequest) : createHttpsServer({ cert: doors.tls.cert, key: doors.tls.key }, onRequest);
}
