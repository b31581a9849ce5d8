import { createHash } from 'node:crypto';
import type { Grant } from './authenticator.js';
import { Permissions, type Access } from './permissions.js';

/** The shortest static token accepted: shorter ones are guessable. */
export const MIN_TOKEN_LENGTH = 16;

/** A static token and what it grants. */
export interface StaticToken extends Access {
  /** The secret a client presents. At least `MIN_TOKEN_LENGTH` (16) characters. */
  readonly token: string;
  /** Names the token in messages and logs (never the token itself). */
  readonly name?: string;
}

/**
 * Looks static tokens up by their SHA-256 digest, so that finding one takes the same time
 * whatever the presented token has in common with a real one (no timing leak of a prefix).
 */
export class StaticTokens {
  private readonly byDigest = new Map<string, Grant>();

  /**
   * @throws TypeError when a token is too short, given twice, or grants something that is not
   * a selector (naming the token by its name or place, never by its value).
   */
  constructor(tokens: readonly StaticToken[]) {
    tokens.forEach((entry, index) => {
      const label = entry.name === undefined ? `token ${index + 1}` : `token "${entry.name}"`;
      if (entry.token.length < MIN_TOKEN_LENGTH) {
        throw new TypeError(`${label} has ${entry.token.length} characters; a token has at least ${MIN_TOKEN_LENGTH}`);
      }
      const digest = digestOf(entry.token);
      if (this.byDigest.has(digest)) throw new TypeError(`${label} is the same secret as an earlier token`);
      try {
        Permissions.of(entry);
      } catch (error) {
        throw new TypeError(`${label}: ${(error as Error).message}`, { cause: error });
      }
      const grant: Grant = {
        read: entry.read ?? [],
        write: entry.write ?? [],
        ...(entry.name === undefined ? {} : { subject: entry.name }),
      };
      this.byDigest.set(digest, grant);
    });
  }

  /** How many tokens there are. */
  get size(): number {
    return this.byDigest.size;
  }

  /** What the token grants, or undefined when it is none of these. Returns the same object each time. */
  find(token: string): Grant | undefined {
    return this.byDigest.get(digestOf(token));
  }
}

function digestOf(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64');
}
