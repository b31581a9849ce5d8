import { readFileSync } from 'node:fs';
import { UsageError } from './arguments.js';

/** The environment variable that names a CA file for every client command, as `--ca` does. */
export const CA_ENV = 'TAUON_CA';

/**
 * The CA certificate (PEM text) a client command trusts for a `wss://` or `amqps://` server: the
 * file of `--ca`, else of `TAUON_CA`; undefined for a URL without TLS, or when neither is given
 * (the system's CAs are trusted then).
 * @throws UsageError when the file cannot be read, or `--ca` is given for a URL without TLS.
 */
export function trustedCa(values: Readonly<Record<string, unknown>>, url: string): string | undefined {
  const flag = values['ca'];
  const tls = /^(wss|amqps):\/\//i.test(url);
  if (typeof flag === 'string' && !tls) throw new UsageError(`--ca is for wss:// and amqps:// URLs, and ${url} is not one`);
  const env = process.env[CA_ENV];
  const file = typeof flag === 'string' ? flag : env !== undefined && env !== '' ? env : undefined;
  if (file === undefined || !tls) return undefined;
  const source = typeof flag === 'string' ? '--ca' : CA_ENV;
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new UsageError(`${source}: cannot read ${file}: ${reason}`);
  }
}
