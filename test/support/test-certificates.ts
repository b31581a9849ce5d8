import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './temp-dir.js';

const run = promisify(execFile);

/** A certificate authority made for one test, and a server certificate it signed. */
export interface TestCertificates {
  /** The directory that holds the files. */
  readonly dir: string;
  /** The CA's certificate (PEM file), to trust. */
  readonly caFile: string;
  /** The server's certificate (PEM file), for 127.0.0.1, ::1 and localhost. */
  readonly certFile: string;
  /** The server's private key (PEM file). */
  readonly keyFile: string;
  /** The CA's certificate, PEM text. */
  readonly ca: string;
  /** The server's certificate and key, PEM text. */
  readonly cert: string;
  readonly key: string;
  /** Removes the directory. */
  remove(): Promise<void>;
}

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  try {
    await run('openssl', [...args], { cwd, timeout: 20_000 });
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT') throw new Error('the TLS tests make their certificates with the openssl command, which is not installed', { cause: error });
    throw error;
  }
}

/**
 * Makes a fresh CA and a server certificate it signs for 127.0.0.1, [::1] and localhost, valid
 * for two days, with the `openssl` command line in a temporary directory (P-256 keys: quick to make).
 */
export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = await tempDir('tls');
  const at = (name: string) => join(dir.path, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Tauon test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir.path,
  );
  await openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir.path);
  await writeFile(
    at('server.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\n' +
      'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
  );
  await openssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem',
      '-days', '2', '-extfile', 'server.ext'],
    dir.path,
  );
  const [ca, cert, key] = await Promise.all(['ca.pem', 'server.pem', 'server.key'].map((name) => readFile(at(name), 'utf8')));
  return {
    dir: dir.path,
    caFile: at('ca.pem'),
    certFile: at('server.pem'),
    keyFile: at('server.key'),
    ca: ca!,
    cert: cert!,
    key: key!,
    remove: dir.remove,
  };
}
