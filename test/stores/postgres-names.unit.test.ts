import { describe, expect, it } from 'vitest';
import { compareNames } from '../../server-reference/stores/name-order.js';
import {
  likePrefixPattern,
  nameFromColumn,
  nameToColumn,
  quoteIdentifier,
} from '../../server-reference/stores/postgres/names.js';

/** Every string of up to `length` characters over `alphabet`. */
function allStrings(alphabet: readonly string[], length: number): string[] {
  let level = [''];
  const all = [''];
  for (let i = 0; i < length; i++) {
    level = level.flatMap((prefix) => alphabet.map((char) => prefix + char));
    all.push(...level);
  }
  return all;
}

/** Characters around the escaped ones, plus characters whose UTF-16 and UTF-8 orders differ. */
const ALPHABET = ['\u0000', '\u0001', '\u0002', 'a', '%', '_', '\\', '\uffff', '😀'];
const NAMES = allStrings(ALPHABET, 3);
const SHORT_NAMES = allStrings(ALPHABET, 2);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Whether `value` matches the LIKE `pattern` as PostgreSQL reads it: backslash escapes the next
 * character, `%` is any run of characters, `_` any one character.
 */
function likeMatches(pattern: string, value: string): boolean {
  let source = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i]!;
    if (char === '\\') source += escapeRegExp(chars[++i] ?? '');
    else if (char === '%') source += '.*';
    else if (char === '_') source += '.';
    else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`, 'su').test(value);
}

describe('postgres store: names in text columns', () => {
  it('names without U+0000 or U+0001 are stored as they are', () => {
    for (const name of ['orders.1', 'héllo', '😀', 'a%b_c\\d']) expect(nameToColumn(name)).toBe(name);
  });

  it('no column value contains U+0000, and every value reads back as its name', () => {
    for (const name of NAMES) {
      const column = nameToColumn(name);
      expect(column.includes('\u0000'), `no NUL in the column value of ${JSON.stringify(name)}`).toBe(false);
      expect(nameFromColumn(column), `round trip of ${JSON.stringify(name)}`).toBe(name);
    }
  });

  it('keeps the order of names (code point order, as the "C" collation sorts UTF-8)', () => {
    for (const a of SHORT_NAMES) {
      for (const b of SHORT_NAMES) {
        expect(Math.sign(compareNames(nameToColumn(a), nameToColumn(b))), `order of ${JSON.stringify(a)} and ${JSON.stringify(b)}`).toBe(
          Math.sign(compareNames(a, b)),
        );
      }
    }
  });

  it('keeps prefixes: the LIKE pattern of a prefix matches exactly the names that start with it', () => {
    for (const prefix of SHORT_NAMES) {
      const pattern = likePrefixPattern(prefix);
      for (const name of NAMES) {
        expect(likeMatches(pattern, nameToColumn(name)), `prefix ${JSON.stringify(prefix)} of ${JSON.stringify(name)}`).toBe(
          name.startsWith(prefix),
        );
      }
    }
  });

  it('quotes identifiers, doubling inner quotes', () => {
    expect(quoteIdentifier('tauon')).toBe('"tauon"');
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
  });
});
