/**
 * Ids for events the application did not name: UUIDv7 (RFC 9562), time-ordered and strictly
 * increasing per client. Stores index events by id; ids that arrive in order land at the end
 * of that index instead of on a random page each, which keeps an append's cost flat as the
 * store grows (random UUIDs made lmdb appends three times slower at 400,000 events).
 * @module
 */

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
/** Random bytes are drawn in bulk: one getRandomValues call per 512 ids. */
const POOL_IDS = 512;

let pool = new Uint8Array(0);
let poolOffset = 0;
let lastMs = -1;
/** The 12-bit counter of rand_a (RFC 9562, method 1): orders the ids of one millisecond. */
let counter = 0;

/**
 * A new UUIDv7: 48 bits of Unix time in ms, a 12-bit counter, 62 random bits. Ids of one
 * client increase strictly; when the counter runs out within a millisecond the clock is
 * carried forward by one, as the RFC allows.
 */
export function newEventId(): string {
  if (poolOffset >= pool.length) {
    pool = new Uint8Array(16 * POOL_IDS);
    globalThis.crypto.getRandomValues(pool);
    poolOffset = 0;
  }
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    // Start low in the counter's range so that a busy millisecond rarely overflows it.
    counter = pool[poolOffset]! & 0x3ff;
  } else if (counter < 0xfff) {
    counter += 1;
  } else {
    lastMs += 1;
    counter = 0;
  }
  const random = pool.subarray(poolOffset + 8, poolOffset + 16);
  poolOffset += 16;
  const ms = lastMs;
  const high = Math.floor(ms / 2 ** 16);
  const low = ms % 2 ** 16;
  const id =
    HEX[(high >>> 24) & 0xff]! + HEX[(high >>> 16) & 0xff]! + HEX[(high >>> 8) & 0xff]! + HEX[high & 0xff]! +
    '-' + HEX[low >>> 8]! + HEX[low & 0xff]! +
    '-' + HEX[0x70 | (counter >>> 8)]! + HEX[counter & 0xff]! +
    '-' + HEX[0x80 | (random[0]! & 0x3f)]! + HEX[random[1]!]! +
    '-' + HEX[random[2]!]! + HEX[random[3]!]! + HEX[random[4]!]! + HEX[random[5]!]! + HEX[random[6]!]! + HEX[random[7]!]!;
  // The concatenation is a rope of 20 pieces in V8; encoding a rope costs more than flattening
  // it once here (converting a string to a number flattens it in place).
  void Number(id);
  return id;
}
