/*
 * How the PostgreSQL store writes names (stream names, event ids, keys) into text columns.
 *
 * PostgreSQL text cannot hold U+0000, which protocol names may contain. Names are stored with
 * U+0000 written as U+0001 U+0001 and U+0001 as U+0001 U+0002; every other character is stored as
 * itself, so ordinary names look the same in SQL as on the wire. The mapping keeps both the
 * order of names (by code point, the order of the "C" collation) and prefixes (a name starts
 * with p exactly when its column value starts with p's column value), because each character
 * maps to a code word, code words sort as their characters do, and none is a prefix of another.
 */

const NUL = '\u0000';
const ESCAPE = '\u0001';
/** The code word after ESCAPE for U+0000. */
const ESCAPED_NUL = '\u0001';
/** The code word after ESCAPE for U+0001 itself. */
const ESCAPED_ESCAPE = '\u0002';

/** The column value of a name. */
export function nameToColumn(name: string): string {
  if (!name.includes(NUL) && !name.includes(ESCAPE)) return name;
  return name.replaceAll(ESCAPE, ESCAPE + ESCAPED_ESCAPE).replaceAll(NUL, ESCAPE + ESCAPED_NUL);
}

/** The name a column value holds (the inverse of {@link nameToColumn}). */
export function nameFromColumn(value: string): string {
  if (!value.includes(ESCAPE)) return value;
  let name = '';
  for (let i = 0; i < value.length; i++) {
    const char = value[i]!;
    if (char !== ESCAPE) {
      name += char;
      continue;
    }
    i++;
    name += value[i] === ESCAPED_NUL ? NUL : ESCAPE;
  }
  return name;
}

/**
 * A LIKE pattern (with the default escape character, backslash) that matches the column values
 * of the names starting with `prefix`. With a "C" collation column and a pattern known when the
 * statement is planned, PostgreSQL turns it into an index range.
 */
export function likePrefixPattern(prefix: string): string {
  return nameToColumn(prefix).replace(/[\\%_]/g, '\\$&') + '%';
}

/** A PostgreSQL identifier in double quotes, for names that SQL parameters cannot stand for. */
export function quoteIdentifier(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
