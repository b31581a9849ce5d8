import { generateKeyPairSync } from 'node:crypto';
import { exportJWK, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../../protocol/errors.js';
import { authenticateToken, type Grant } from '../../server-reference/auth/authenticator.js';
import { createAuthenticator } from '../../server-reference/auth/create-authenticator.js';
import { jwtVerifier } from '../../server-reference/auth/jwt-authenticator.js';
import { Permissions } from '../../server-reference/auth/permissions.js';
import { StaticTokens } from '../../server-reference/auth/token-authenticator.js';
import { parseSelector } from '../../server-reference/selector.js';

const SECRET = 'a-secret-of-at-least-thirty-two-bytes!!';
const secretKey = new TextEncoder().encode(SECRET);
const now = () => Math.floor(Date.now() / 1000);

function signed(payload: JWTPayload, key: Uint8Array = secretKey, alg = 'HS256'): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg }).sign(key);
}

/** The UnauthorizedError a promise rejects with (fails the test when it resolves). */
async function refusal(promise: Promise<unknown>): Promise<UnauthorizedError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(UnauthorizedError);
  return error as UnauthorizedError;
}

describe('authenticateToken', () => {
  it('admits everyone to everything without an authenticator, or when it answers true', async () => {
    expect((await authenticateToken(undefined, undefined)).permissions).toBe(Permissions.all);
    expect((await authenticateToken(() => true, 'x')).permissions).toBe(Permissions.all);
  });

  it('refuses on false or undefined, saying whether a token was missing', async () => {
    expect((await refusal(authenticateToken(() => false, undefined))).message).toBe('this server requires a token');
    expect((await refusal(authenticateToken(() => undefined, 'x'))).message).toBe('the token was refused');
  });

  it('passes an UnauthorizedError on, and hides any other failure', async () => {
    const said = await refusal(
      authenticateToken(() => {
        throw new UnauthorizedError('the token was revoked');
      }, 't'),
    );
    expect(said.message).toBe('the token was revoked');
    const hidden = await refusal(authenticateToken(() => Promise.reject(new Error('db down: password=hunter2')), 't'));
    expect(hidden.message).toBe('the token was refused');
  });

  it('compiles a grant once per grant object', async () => {
    const grant: Grant = { read: ['a.*'] };
    const first = await authenticateToken(() => grant, 't');
    const second = await authenticateToken(() => grant, 't');
    expect(second.permissions).toBe(first.permissions);
    expect(first.permissions.mayRead(parseSelector('a.x'))).toBe(true);
    const other = await authenticateToken(() => ({ read: ['a.*'] }), 't');
    expect(other.permissions).not.toBe(first.permissions);
  });

  it('refuses a grant that has already expired, or that names no selector', async () => {
    const expired = await refusal(authenticateToken(() => ({ read: ['a'], expiresAt: Date.UTC(2020, 0, 1) }), 't'));
    expect(expired.message).toBe('the token expired at 2020-01-01T00:00:00.000Z');
    const bad = await refusal(authenticateToken(() => ({ read: ['a*b'] }), 't'));
    expect(bad.message).toContain('"a*b" is not a selector');
  });
});

describe('static tokens', () => {
  it('finds a token by its value, and nothing for another', () => {
    const tokens = new StaticTokens([
      { name: 'admin', token: 'admin-token-0123456789', read: ['$all'], write: ['$all'] },
      { token: 'reader-token-0123456789', read: ['orders.*'] },
    ]);
    expect(tokens.find('admin-token-0123456789')).toEqual({ read: ['$all'], write: ['$all'], subject: 'admin' });
    expect(tokens.find('reader-token-0123456789')).toEqual({ read: ['orders.*'], write: [] });
    expect(tokens.find('admin-token-012345678')).toBeUndefined();
    expect(tokens.find('')).toBeUndefined();
    // The same object each time, so that it is compiled once.
    expect(tokens.find('admin-token-0123456789')).toBe(tokens.find('admin-token-0123456789'));
  });

  it('refuses short, repeated and badly granted tokens without printing them', () => {
    expect(() => new StaticTokens([{ name: 'short', token: 'abc' }])).toThrow('token "short" has 3 characters; a token has at least 16');
    expect(() => new StaticTokens([{ token: 'same-token-0123456789' }, { token: 'same-token-0123456789' }])).toThrow(
      'token 2 is the same secret as an earlier token',
    );
    expect(() => new StaticTokens([{ token: 'grant-token-0123456789', read: ['*x'] }])).toThrow('token 1: "*x" is not a selector');
  });
});

describe('JWT verification', () => {
  it('accepts a good token and grants what its claim and its scopes say, until exp', async () => {
    const verify = await jwtVerifier({ secret: SECRET, issuer: 'https://id.test', audience: 'tauon' });
    const exp = now() + 60;
    const token = await signed({
      iss: 'https://id.test',
      aud: 'tauon',
      sub: 'alice',
      exp,
      tauon: { read: ['orders.*'], write: 'orders.eu.1' },
      scope: 'openid tauon:read:prices tauon:write:carts.* read:ignored',
    });
    expect(await verify(token)).toEqual({
      read: ['orders.*', 'prices'],
      write: ['orders.eu.1', 'carts.*'],
      expiresAt: exp * 1000,
      subject: 'alice',
    });
  });

  it('refuses a bad signature, a wrong issuer, a wrong audience and an expired token, saying which', async () => {
    const verify = await jwtVerifier({ secret: SECRET, issuer: 'https://id.test', audience: 'tauon' });
    const good = { iss: 'https://id.test', aud: 'tauon', exp: now() + 60 };
    const otherKey = new TextEncoder().encode('another-secret-of-thirty-two-bytes-or-more');
    expect((await refusal(verify(await signed(good, otherKey)))).message).toBe("the token's signature does not verify");
    expect((await refusal(verify(await signed({ ...good, iss: 'https://evil.test' })))).message).toBe(
      'the token\'s "iss" claim is not the one expected',
    );
    expect((await refusal(verify(await signed({ ...good, aud: 'other-api' })))).message).toBe(
      'the token\'s "aud" claim is not the one expected',
    );
    const exp = now() - 5;
    expect((await refusal(verify(await signed({ ...good, exp })))).message).toBe(`the token expired at ${new Date(exp * 1000).toISOString()}`);
    expect((await refusal(verify(await signed({ ...good, nbf: now() + 60 })))).message).toBe('the token is not valid yet ("nbf")');
    expect((await refusal(verify('not.a.jwt'))).message).toBe('the token is not a valid JWT');
  });

  it('never accepts alg none', async () => {
    const verify = await jwtVerifier({ secret: SECRET, requireExpiry: false });
    const unsigned = new UnsecuredJWT({ tauon: { read: ['$all'], write: ['$all'] } }).encode();
    expect((await refusal(verify(unsigned))).message).toBe("the token's algorithm is not accepted");
    await expect(jwtVerifier({ secret: SECRET, algorithms: ['none'] })).rejects.toThrow('"none" is never accepted');
  });

  it('requires exp unless told not to, and allows the clock tolerance past it', async () => {
    const strict = await jwtVerifier({ secret: SECRET });
    expect((await refusal(strict(await signed({ tauon: { read: ['a'] } })))).message).toBe('the token has no "exp" claim');
    const lenient = await jwtVerifier({ secret: SECRET, requireExpiry: false });
    expect(await lenient(await signed({ tauon: { read: ['a'] } }))).toEqual({ read: ['a'], write: [] });
    const tolerant = await jwtVerifier({ secret: SECRET, clockToleranceSeconds: 30 });
    const exp = now() - 5;
    expect((await tolerant(await signed({ exp }))).expiresAt).toBe((exp + 30) * 1000);
  });

  it('refuses an HMAC token made with a public key as the secret (algorithm confusion)', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const verify = await jwtVerifier({ publicKey: pem });
    const exp = now() + 60;
    expect(await verify(await new SignJWT({ exp, tauon: { read: ['a'] } }).setProtectedHeader({ alg: 'RS256' }).sign(privateKey))).toMatchObject({
      read: ['a'],
    });
    const forged = await signed({ exp, tauon: { read: ['$all'], write: ['$all'] } }, new TextEncoder().encode(pem));
    expect((await refusal(verify(forged))).message).toBe("the token's algorithm is not accepted");
  });

  it('picks the key of a JWKS by kid', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const verify = await jwtVerifier({ jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] } });
    const exp = now() + 60;
    const sign = (kid: string) => new SignJWT({ exp, tauon: { write: ['w'] } }).setProtectedHeader({ alg: 'ES256', kid }).sign(privateKey);
    expect((await verify(await sign('k1'))).write).toEqual(['w']);
    expect((await refusal(verify(await sign('k2')))).message).toBe('no key of the server matches the token');
  });

  it('refuses a permissions claim of the wrong shape', async () => {
    const verify = await jwtVerifier({ secret: SECRET });
    const exp = now() + 60;
    expect((await refusal(verify(await signed({ exp, tauon: ['$all'] })))).message).toBe(
      'the token\'s "tauon" claim is not an object of "read" and "write" lists',
    );
    expect((await refusal(verify(await signed({ exp, tauon: { read: [1] } })))).message).toBe(
      'the token\'s "tauon.read" claim is not a list of selectors',
    );
    const custom = await jwtVerifier({ secret: SECRET, claim: 'https://tauon.test/permissions' });
    expect((await custom(await signed({ exp, 'https://tauon.test/permissions': { read: ['x'] } }))).read).toEqual(['x']);
  });

  it('refuses keys it cannot use', async () => {
    await expect(jwtVerifier({ secret: 'short' })).rejects.toThrow('the JWT secret has 5 bytes; an HMAC secret has at least 32');
    await expect(jwtVerifier({})).rejects.toThrow('exactly one of secret, publicKey and jwks');
    await expect(jwtVerifier({ secret: SECRET, publicKey: 'x' })).rejects.toThrow('exactly one of secret, publicKey and jwks');
    await expect(jwtVerifier({ publicKey: 'not a pem' })).rejects.toThrow('not a PEM public key');
  });
});

describe('createAuthenticator', () => {
  const ADMIN = 'admin-token-0123456789';

  it('refuses clients without a token unless anonymous access is granted', async () => {
    const closed = await createAuthenticator({ tokens: [{ token: ADMIN, read: ['$all'] }] });
    expect((await refusal(authenticateToken(closed, undefined))).message).toBe('this server requires a token');
    const open = await createAuthenticator({ anonymous: { read: ['public.*'] } });
    const anonymous = await authenticateToken(open, undefined);
    expect(anonymous.permissions.mayRead(parseSelector('public.news'))).toBe(true);
    expect(anonymous.permissions.mayWrite('public.news')).toBe(false);
    expect(anonymous.subject).toBe('anonymous');
    // A token that is refused is refused, even where anonymous clients are let in.
    expect((await refusal(authenticateToken(open, 'a-wrong-token-0123456789'))).message).toBe('the token was refused');
  });

  it('looks a token up among the static tokens, then checks it as a JWT', async () => {
    const authenticate = await createAuthenticator({
      tokens: [{ name: 'admin', token: ADMIN, read: ['$all'], write: ['$all'] }],
      jwt: { secret: SECRET },
    });
    expect((await authenticateToken(authenticate, ADMIN)).permissions.unrestricted).toBe(true);
    const jwt = await signed({ exp: now() + 60, sub: 'bob', tauon: { read: ['b.*'] } });
    const access = await authenticateToken(authenticate, jwt);
    expect(access.subject).toBe('bob');
    expect(access.permissions.mayRead(parseSelector('b.1'))).toBe(true);
    expect(access.permissions.mayRead(parseSelector('a.1'))).toBe(false);
    expect((await refusal(authenticateToken(authenticate, 'nope-not-a-token-at-all'))).message).toBe('the token was refused');
  });

  it('refuses to be built with nothing to admit anyone', async () => {
    await expect(createAuthenticator({})).rejects.toThrow('at least one of tokens, jwt and anonymous');
  });
});
