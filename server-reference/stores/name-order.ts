/**
 * Compares names by Unicode code point, which is the order of their UTF-8 bytes: the order in
 * which LMDB and PostgreSQL (C collation) sort them. JavaScript's `<` compares UTF-16 code units
 * instead, which puts characters above U+FFFF before U+E000..U+FFFF.
 */
export function compareNames(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Only when a surrogate meets a non-surrogate at or above U+E000 do the two orders differ.
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate !== ySurrogate && (xSurrogate ? y : x) >= 0xe000) return xSurrogate ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
