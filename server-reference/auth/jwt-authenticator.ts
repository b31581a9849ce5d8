import { createPublicKey, type KeyObject } from 'node:crypto';
import type { JSONWebKeySet, JWTPayload, JWTVerifyGetKey } from 'jose';
import { UnauthorizedError } from '../../protocol/errors.js';
import { describeTime, type Grant } from './authenticator.js';

/** The fewest bytes an HMAC secret may have: 256 bits, as RFC 7518 asks for HS256. */
export const MIN_SECRET_BYTES = 32;

/** The claim that names a JWT's permissions unless told otherwise: `{"tauon": {"read": [...], "write": [...]}}`. */
export const DEFAULT_PERMISSIONS_CLAIM = 'tauon';

/** The prefix of `scope` entries that grant permissions: `tauon:read:orders.*`, `tauon:write:orders.eu`. */
export const SCOPE_PREFIX = 'tauon:';

/**
 * How JWTs are checked. Exactly one of `secret`, `publicKey` and `jwks` says which key signs
 * them. The signature, the algorithm, `exp` and `nbf`, and (when given) `iss` and `aud` are
 * checked by `jose`; a token signed with `alg: none` is never accepted.
 */
export interface JwtOptions {
  /** An HMAC secret (HS256, HS384, HS512), at least 32 bytes. */
  readonly secret?: string | Uint8Array;
  /** A PEM public key (SPKI) or certificate: RSA, EC (P-256, P-384, P-521) or Ed25519. */
  readonly publicKey?: string;
  /** A JSON Web Key Set (`{"keys": [...]}`); the token's `kid` and `alg` pick the key. */
  readonly jwks?: JSONWebKeySet;
  /**
   * The algorithms accepted. @default the ones the key can verify: HS256/384/512 for a secret;
   * for a public key, those of its type; for a JWKS, the asymmetric ones.
   */
  readonly algorithms?: readonly string[];
  /** The `iss` the token must have (one of these). Unchecked when absent. */
  readonly issuer?: string | readonly string[];
  /** An `aud` the token must have (one of these). Unchecked when absent. */
  readonly audience?: string | readonly string[];
  /** Seconds of clock difference allowed when checking `exp` and `nbf`. @default 0 */
  readonly clockToleranceSeconds?: number;
  /** Refuse tokens without `exp` (a token that never expires is a password). @default true */
  readonly requireExpiry?: boolean;
  /** The claim that holds `{read, write}`. @default "tauon" */
  readonly claim?: string;
}

/** Checks a JWT and answers what it grants, or throws an `UnauthorizedError` that says why not. */
export type JwtVerifier = (token: string) => Promise<Grant>;

const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'];
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const ASYMMETRIC_ALGORITHMS = [...RSA_ALGORITHMS, 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/**
 * Makes a JWT verifier. What a token grants comes from its permissions claim
 * (`{"tauon": {"read": ["orders.*"], "write": ["orders.eu.*"]}}`) and from its `scope` entries
 * that start with `tauon:` (`"scope": "tauon:read:orders.* tauon:write:orders.eu.*"`), together;
 * a token with neither may only ask `info`. The grant expires at `exp` (plus the clock
 * tolerance).
 *
 * @throws TypeError when the options name no key or several, or a key that cannot be used.
 * @example
 * const verify = await jwtVerifier({ secret: process.env.TAUON_JWT_SECRET!, issuer: 'https://id.example', audience: 'tauon' });
 * const grant = await verify(token); // { read: [...], write: [...], expiresAt, subject }
 */
export async function jwtVerifier(options: JwtOptions): Promise<JwtVerifier> {
  // Loaded only by servers that check JWTs.
  const jose = await import('jose');
  const keys = [options.secret, options.publicKey, options.jwks].filter((key) => key !== undefined);
  if (keys.length !== 1) throw new TypeError('a JWT check needs exactly one of secret, publicKey and jwks');
  let key: Uint8Array | KeyObject | JWTVerifyGetKey;
  let algorithms: readonly string[];
  if (options.secret !== undefined) {
    const secret = typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
    if (secret.byteLength < MIN_SECRET_BYTES) {
      throw new TypeError(`the JWT secret has ${secret.byteLength} bytes; an HMAC secret has at least ${MIN_SECRET_BYTES}`);
    }
    key = secret;
    algorithms = HMAC_ALGORITHMS;
  } else if (options.publicKey !== undefined) {
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey(options.publicKey);
    } catch (error) {
      throw new TypeError(`the JWT public key is not a PEM public key or certificate: ${(error as Error).message}`, { cause: error });
    }
    key = publicKey;
    algorithms = algorithmsOf(publicKey);
  } else {
    try {
      key = jose.createLocalJWKSet(options.jwks!);
    } catch (error) {
      throw new TypeError(`the JWKS is not a JSON Web Key Set: ${(error as Error).message}`, { cause: error });
    }
    algorithms = ASYMMETRIC_ALGORITHMS;
  }
  const accepted = [...(options.algorithms ?? algorithms)];
  if (accepted.length === 0 || accepted.some((alg) => alg.toLowerCase() === 'none')) {
    throw new TypeError('the JWT algorithms must be named, and "none" is never accepted');
  }
  const tolerance = options.clockToleranceSeconds ?? 0;
  const claim = options.claim ?? DEFAULT_PERMISSIONS_CLAIM;
  const verifyOptions = {
    algorithms: accepted,
    clockTolerance: tolerance,
    ...(options.issuer === undefined ? {} : { issuer: typeof options.issuer === 'string' ? options.issuer : [...options.issuer] }),
    ...(options.audience === undefined ? {} : { audience: typeof options.audience === 'string' ? options.audience : [...options.audience] }),
    ...((options.requireExpiry ?? true) ? { requiredClaims: ['exp'] } : {}),
  };

  return async (token) => {
    let payload: JWTPayload;
    try {
      // jwtVerify is overloaded on the key's kind; both kinds take the same options.
      payload =
        typeof key === 'function'
          ? (await jose.jwtVerify(token, key, verifyOptions)).payload
          : (await jose.jwtVerify(token, key, verifyOptions)).payload;
    } catch (error) {
      throw new UnauthorizedError(refusalMessage(error), error);
    }
    return grantOf(payload, claim, tolerance);
  };
}

/** What a verified token grants: its permissions claim and its `tauon:` scopes, until `exp`. */
export function grantOf(payload: JWTPayload, claim: string, toleranceSeconds = 0): Grant {
  const read: string[] = [];
  const write: string[] = [];
  const named = payload[claim];
  if (named !== undefined) {
    if (typeof named !== 'object' || named === null || Array.isArray(named)) {
      throw new UnauthorizedError(`the token's "${claim}" claim is not an object of "read" and "write" lists`);
    }
    const { read: reads, write: writes } = named as { read?: unknown; write?: unknown };
    read.push(...selectorList(reads, `${claim}.read`));
    write.push(...selectorList(writes, `${claim}.write`));
  }
  if (typeof payload['scope'] === 'string') {
    for (const entry of payload['scope'].split(' ')) {
      if (entry.startsWith(`${SCOPE_PREFIX}read:`)) read.push(entry.slice(SCOPE_PREFIX.length + 5));
      else if (entry.startsWith(`${SCOPE_PREFIX}write:`)) write.push(entry.slice(SCOPE_PREFIX.length + 6));
    }
  }
  return {
    read,
    write,
    ...(typeof payload.exp === 'number' ? { expiresAt: (payload.exp + toleranceSeconds) * 1000 } : {}),
    ...(typeof payload.sub === 'string' ? { subject: payload.sub } : {}),
  };
}

function selectorList(value: unknown, path: string): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((entry) => typeof entry === 'string')) return value;
  throw new UnauthorizedError(`the token's "${path}" claim is not a list of selectors`);
}

/** The algorithms a public key can verify, by its type (never an HMAC one: no algorithm confusion). */
function algorithmsOf(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return RSA_ALGORITHMS;
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      const algorithm = curve === 'prime256v1' ? 'ES256' : curve === 'secp384r1' ? 'ES384' : curve === 'secp521r1' ? 'ES512' : undefined;
      if (algorithm === undefined) throw new TypeError(`the JWT public key's curve ${String(curve)} is not one JWTs use`);
      return [algorithm];
    }
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
    default:
      throw new TypeError(`the JWT public key is of type ${String(key.asymmetricKeyType)}; use RSA, EC or Ed25519`);
  }
}

/** Why jose refused a token, in words that do not repeat the token. */
function refusalMessage(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case 'ERR_JWT_EXPIRED': {
      const exp = (error as { payload?: JWTPayload }).payload?.exp;
      return typeof exp === 'number' ? `the token expired at ${describeTime(exp * 1000)}` : 'the token has expired';
    }
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const { claim, reason } = error as { claim?: string; reason?: string };
      if (claim === 'nbf') return 'the token is not valid yet ("nbf")';
      return reason === 'missing' ? `the token has no "${claim}" claim` : `the token's "${claim}" claim is not the one expected`;
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the token\'s signature does not verify';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'the token\'s algorithm is not accepted';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'no key of the server matches the token';
    default:
      return 'the token is not a valid JWT';
  }
}
