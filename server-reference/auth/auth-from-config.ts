import { readFile } from 'node:fs/promises';
import type { JSONWebKeySet } from 'jose';
import { ConfigError } from '../config.js';
import type { AuthConfig, SecretSource } from './auth-config-schema.js';
import type { Authenticate } from './authenticator.js';
import { createAuthenticator } from './create-authenticator.js';
import type { JwtOptions } from './jwt-authenticator.js';
import type { StaticToken } from './token-authenticator.js';

/** Where the secrets are read from when no other environment is given. */
type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads the secrets of a configuration's `auth` section (from the environment and from files)
 * and builds the server's authenticator.
 *
 * @param source where the configuration came from, for messages.
 * @throws ConfigError naming each secret that cannot be read and each part that cannot be used,
 * by its path (`auth.tokens[0].token: the environment variable TAUON_ADMIN_TOKEN is not set`).
 */
export async function authenticatorFromConfig(
  auth: AuthConfig,
  source: string,
  env: Environment = process.env,
): Promise<Authenticate> {
  const problems: string[] = [];
  const read = async (secret: SecretSource, path: string): Promise<string | undefined> => {
    try {
      return await readSecret(secret, env);
    } catch (error) {
      problems.push(`${path}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const tokens: StaticToken[] = [];
  for (const [index, spec] of (auth.tokens ?? []).entries()) {
    const token = await read(spec.token, `auth.tokens[${index}].token`);
    if (token === undefined) continue;
    tokens.push({
      token,
      ...(spec.name === undefined ? {} : { name: spec.name }),
      ...(spec.read === undefined ? {} : { read: spec.read }),
      ...(spec.write === undefined ? {} : { write: spec.write }),
    });
  }
  let jwt: JwtOptions | undefined;
  if (auth.jwt !== undefined) {
    const { secret, publicKey, jwks, ...checks } = auth.jwt;
    const key: { secret?: string; publicKey?: string; jwks?: JSONWebKeySet } = {};
    if (secret !== undefined) key.secret = await read(secret, 'auth.jwt.secret');
    if (publicKey !== undefined) key.publicKey = await read(publicKey, 'auth.jwt.publicKey');
    if (jwks !== undefined) {
      const text = await read(jwks, 'auth.jwt.jwks');
      if (text !== undefined) {
        try {
          key.jwks = JSON.parse(text) as JSONWebKeySet;
        } catch (error) {
          problems.push(`auth.jwt.jwks: not JSON: ${(error as Error).message}`);
        }
      }
    }
    jwt = { ...checks, ...key };
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
  try {
    return await createAuthenticator({
      tokens,
      ...(jwt === undefined ? {} : { jwt }),
      ...(auth.anonymous === undefined ? {} : { anonymous: auth.anonymous }),
    });
  } catch (error) {
    throw new ConfigError(source, [`auth: ${error instanceof Error ? error.message : String(error)}`]);
  }
}

/**
 * Reads one secret: an environment variable, or a file (one trailing newline dropped).
 * @throws Error saying what is missing or empty.
 */
export async function readSecret(source: SecretSource, env: Environment = process.env): Promise<string> {
  if ('env' in source) {
    const value = env[source.env];
    if (value === undefined || value === '') throw new Error(`the environment variable ${source.env} is not set`);
    return value;
  }
  let text: string;
  try {
    text = await readFile(source.file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`cannot read ${source.file}: ${code === 'ENOENT' ? 'no such file' : String(error)}`, { cause: error });
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new Error(`${source.file} is empty`);
  return value;
}
