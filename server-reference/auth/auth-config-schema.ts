import { resolve } from 'node:path';
import { z } from 'zod';
import { StreamSelector } from '../../protocol/frames.js';

/*
 * The `auth` section of the configuration file (reference: docs/configuration.md, guide:
 * docs/security.md). Secrets are never written in the file: each one names the environment
 * variable or the file it is read from.
 */

/** Where a secret is read from: an environment variable, or a file (relative to the configuration file). */
export const SecretSourceSchema = z.union([z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name') }), z.strictObject({ file: z.string().min(1) })], {
  error: (issue) =>
    issue.code === 'invalid_union'
      ? 'a secret is read from the environment, {"env": "NAME"}, or from a file, {"file": "PATH"}; it is never written in the configuration'
      : undefined,
});

/** Where a secret is read from. */
export type SecretSource = z.infer<typeof SecretSourceSchema>;

const Selectors = z.array(StreamSelector);

/** What a token (or an anonymous client) may do: selectors it may read, selectors it may write. */
const GrantFields = {
  read: Selectors.optional(),
  write: Selectors.optional(),
};

/** The JWT algorithms a configuration may accept (never `none`). */
export const JWT_ALGORITHMS = [
  'HS256', 'HS384', 'HS512',
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA', 'Ed25519',
] as const;

const OneOrMore = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const TokenSpec = z.strictObject({
  /** Names the token in messages and logs. */
  name: z.string().min(1).max(256).optional(),
  token: SecretSourceSchema,
  ...GrantFields,
});

const JwtSpec = z
  .strictObject({
    secret: SecretSourceSchema.optional(),
    publicKey: SecretSourceSchema.optional(),
    jwks: SecretSourceSchema.optional(),
    algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).optional(),
    issuer: OneOrMore.optional(),
    audience: OneOrMore.optional(),
    clockToleranceSeconds: z.number().min(0).max(3600).optional(),
    requireExpiry: z.boolean().optional(),
    claim: z.string().min(1).optional(),
  })
  .superRefine((jwt, context) => {
    const keys = (['secret', 'publicKey', 'jwks'] as const).filter((name) => jwt[name] !== undefined);
    if (keys.length !== 1) {
      context.addIssue({
        code: 'custom',
        path: [],
        message: `name exactly one key: "secret" (HMAC), "publicKey" (PEM) or "jwks"${keys.length > 1 ? `, not ${keys.join(' and ')}` : ''}`,
      });
    }
  });

/** The configuration's `auth` section. */
export const AuthConfigSchema = z
  .strictObject({
    /** Static tokens, each with what it grants. */
    tokens: z.array(TokenSpec).optional(),
    /** Signed JWTs: the key and the claims checked; each token grants what its claims say. */
    jwt: JwtSpec.optional(),
    /** What a client that sends no token may do; absent: such clients are refused. */
    anonymous: z.strictObject(GrantFields).optional(),
  })
  .superRefine((auth, context) => {
    if ((auth.tokens?.length ?? 0) === 0 && auth.jwt === undefined && auth.anonymous === undefined) {
      context.addIssue({ code: 'custom', path: [], message: 'name "tokens", "jwt" or "anonymous": who may use the server' });
    }
  });

/** The configuration's `auth` section, checked. */
export type AuthConfig = z.infer<typeof AuthConfigSchema>;

/** The section with every secret file's path made absolute against the configuration file's directory. */
export function resolveSecretFiles(auth: AuthConfig, baseDir: string): AuthConfig {
  const at = (source: SecretSource | undefined): SecretSource | undefined =>
    source !== undefined && 'file' in source ? { file: resolve(baseDir, source.file) } : source;
  return {
    ...auth,
    ...(auth.tokens === undefined ? {} : { tokens: auth.tokens.map((token) => ({ ...token, token: at(token.token)! })) }),
    ...(auth.jwt === undefined
      ? {}
      : {
          jwt: {
            ...auth.jwt,
            ...(auth.jwt.secret === undefined ? {} : { secret: at(auth.jwt.secret) }),
            ...(auth.jwt.publicKey === undefined ? {} : { publicKey: at(auth.jwt.publicKey) }),
            ...(auth.jwt.jwks === undefined ? {} : { jwks: at(auth.jwt.jwks) }),
          },
        }),
  };
}
