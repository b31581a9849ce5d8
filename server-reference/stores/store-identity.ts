import { createHash, randomUUID } from 'node:crypto';

/**
 * A store's identity (SPEC 6.5.1 `store`): a random UUID made when the store is created and
 * kept in it, so that every server on the same store announces the same id, and a client that
 * reconnects can tell a different (or emptied and recreated) store from the one it resumed in.
 */

/** The longest identity a store may announce (`welcome.store` is a string of 1 to 256). */
export const MAX_STORE_ID_LENGTH = 256;

/** A fresh identity for a store being created: a random (version 4) UUID. */
export function newStoreId(): string {
  return randomUUID();
}

/** True when `value` can be announced as a store's identity. */
export function isStoreId(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= MAX_STORE_ID_LENGTH;
}

/**
 * The identity of a store made of others (a routing store), from theirs and the prefixes they
 * hold: the same stores under the same routes give the same id across restarts, and a change
 * of any of them (a store recreated, a route added) gives another. A SHA-256 digest shaped as
 * a UUID (RFC 9562 version 8, the custom one), so that it reads like the ids it comes from.
 */
export function derivedStoreId(parts: readonly (readonly [string, string])[]): string {
  const digest = createHash('sha256').update(JSON.stringify(parts)).digest();
  digest[6] = (digest[6]! & 0x0f) | 0x80;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
