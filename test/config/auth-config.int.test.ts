import { generateKeyPairSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticatorFromConfig } from '../../server-reference/auth/auth-from-config.js';
import { authenticateToken } from '../../server-reference/auth/authenticator.js';
import { ConfigError, parseConfig } from '../../server-reference/config.js';
import { parseSelector } from '../../server-reference/selector.js';
import { tempDir } from '../support/temp-dir.js';

const stores = { main: { kind: 'lmdb', path: './data' } };
const ADMIN = 'admin-token-from-the-environment';
const SECRET = 'a-jwt-secret-of-at-least-thirty-two-bytes';

/** The problems parseConfig reports for an auth section, failing the test when it accepts it. */
function problems(auth: unknown): readonly string[] {
  try {
    parseConfig({ stores, auth }, 'tauon.config.json', '/srv/tauon');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  return expect.fail('the configuration should have been refused');
}

describe('the auth section of the configuration', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir('auth-config');
    await mkdir(join(dir.path, 'secrets'));
    await writeFile(join(dir.path, 'secrets', 'reader'), 'reader-token-read-from-a-file\n');
    await writeFile(join(dir.path, 'secrets', 'jwt'), SECRET);
  });
  afterAll(() => dir.remove());

  it('never takes a secret written in the file', () => {
    expect(problems({ tokens: [{ token: 'admin-token-0123456789', read: ['$all'] }] })).toEqual([
      'auth.tokens[0].token: a secret is read from the environment, {"env": "NAME"}, or from a file, {"file": "PATH"}; it is never written in the configuration',
    ]);
    expect(problems({ jwt: { secret: 'x'.repeat(40) } })[0]).toMatch(/^auth\.jwt\.secret: a secret is read from the environment/);
  });

  it('names each wrong field by its path', () => {
    expect(problems({})).toEqual(['auth: name "tokens", "jwt" or "anonymous": who may use the server']);
    expect(problems({ jwt: { secret: { env: 'A' }, publicKey: { file: 'k.pem' } } })).toEqual([
      'auth.jwt: name exactly one key: "secret" (HMAC), "publicKey" (PEM) or "jwks", not secret and publicKey',
    ]);
    expect(problems({ tokens: [{ token: { env: 'T' }, read: ['a*b'] }] })).toEqual([
      'auth.tokens[0].read[0]: a selector is a stream name, a prefix ending in "*", or "$all"',
    ]);
    expect(problems({ jwt: { secret: { env: 'S' }, algorithms: ['none'] } })[0]).toMatch(/^auth\.jwt\.algorithms\[0\]: /);
    expect(problems({ anonymous: { read: ['$all'], delete: ['x'] } })[0]).toMatch(/^auth\.anonymous: /);
  });

  it('reads secrets from the environment and from files relative to the configuration', async () => {
    const config = parseConfig(
      {
        stores,
        auth: {
          tokens: [
            { name: 'admin', token: { env: 'TEST_ADMIN_TOKEN' }, read: ['$all'], write: ['$all'] },
            { name: 'reader', token: { file: './secrets/reader' }, read: ['orders.*'] },
          ],
          jwt: { secret: { file: 'secrets/jwt' }, audience: 'tauon' },
          anonymous: { read: ['public.*'] },
        },
      },
      'tauon.config.json',
      dir.path,
    );
    expect(config.auth?.tokens?.[1]?.token).toEqual({ file: join(dir.path, 'secrets', 'reader') });
    const authenticate = await authenticatorFromConfig(config.auth!, 'tauon.config.json', { TEST_ADMIN_TOKEN: ADMIN });
    expect((await authenticateToken(authenticate, ADMIN)).permissions.unrestricted).toBe(true);
    // The file's trailing newline is not part of the token.
    const reader = await authenticateToken(authenticate, 'reader-token-read-from-a-file');
    expect(reader.permissions.mayRead(parseSelector('orders.1'))).toBe(true);
    expect(reader.permissions.mayWrite('orders.1')).toBe(false);
    expect(reader.subject).toBe('reader');
    const jwt = await new SignJWT({ aud: 'tauon', exp: Math.floor(Date.now() / 1000) + 60, tauon: { write: ['w.*'] } })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(SECRET));
    expect((await authenticateToken(authenticate, jwt)).permissions.mayWrite('w.1')).toBe(true);
    expect((await authenticateToken(authenticate, undefined)).permissions.mayRead(parseSelector('public.x'))).toBe(true);
  });

  it('checks JWTs with a public key or a JWKS from a file', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    await writeFile(join(dir.path, 'secrets', 'public.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    await writeFile(join(dir.path, 'secrets', 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'main' }] }));
    const token = await new SignJWT({ exp: Math.floor(Date.now() / 1000) + 60, tauon: { read: ['r'] } })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'main' })
      .sign(privateKey);
    for (const jwt of [{ publicKey: { file: 'secrets/public.pem' } }, { jwks: { file: 'secrets/jwks.json' } }]) {
      const config = parseConfig({ stores, auth: { jwt } }, 'tauon.config.json', dir.path);
      const authenticate = await authenticatorFromConfig(config.auth!, 'tauon.config.json', {});
      expect((await authenticateToken(authenticate, token)).permissions.mayRead(parseSelector('r')), JSON.stringify(jwt)).toBe(true);
    }
  });

  it('says which secret cannot be read, and which cannot be used', async () => {
    const config = parseConfig(
      {
        stores,
        auth: {
          tokens: [{ token: { env: 'TEST_UNSET_TOKEN' } }, { token: { file: 'secrets/absent' } }],
          jwt: { secret: { env: 'TEST_JWT' } },
        },
      },
      'tauon.config.json',
      dir.path,
    );
    const failure = await authenticatorFromConfig(config.auth!, 'tauon.config.json', { TEST_JWT: SECRET }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).problems).toEqual([
      'auth.tokens[0].token: the environment variable TEST_UNSET_TOKEN is not set',
      `auth.tokens[1].token: cannot read ${join(dir.path, 'secrets', 'absent')}: no such file`,
    ]);
    const weak = parseConfig({ stores, auth: { jwt: { secret: { env: 'TEST_JWT' } } } }, 'tauon.config.json', dir.path);
    const short = await authenticatorFromConfig(weak.auth!, 'tauon.config.json', { TEST_JWT: 'short' }).catch((error: unknown) => error);
    expect((short as ConfigError).message).toBe('tauon.config.json: auth: the JWT secret has 5 bytes; an HMAC secret has at least 32');
  });
});
