/*
 * How Tauon names become NATS subjects and KV keys, and back.
 *
 * A Tauon stream `orders.eu.42` is the subject `<prefix>.orders.eu.42`: each dot-separated
 * segment of the name becomes one subject token. That keeps a prefix pattern that ends at a dot
 * (`orders.*`, prefix `orders.`) a JetStream subject filter (`<prefix>.orders.>`), so the server,
 * not the store, picks the matching messages. Characters a token may not hold (`.`, `*`, `>`,
 * whitespace, anything outside [A-Za-z0-9_-]) are escaped as `=XX`, the bytes of their UTF-8
 * encoding in hex; an empty segment is the token `=`. Event ids use the same escape to become one
 * KV key each (KV keys allow only [-/_=.A-Za-z0-9]).
 */

/** Characters a token keeps as they are. Everything else is escaped. */
const LITERAL = /^[A-Za-z0-9_-]$/;

/** The token of an empty segment; unambiguous, as an escape is always `=` plus two hex digits. */
const EMPTY_TOKEN = '=';

/**
 * One subject token (or KV key) for `text`: literal characters kept, others as `=XX` per UTF-8
 * byte. Lone UTF-16 surrogates are encoded as their code unit (generalized UTF-8), so that every
 * JavaScript string has a token and decodes back to itself.
 */
export function encodeToken(text: string): string {
  if (text === '') return EMPTY_TOKEN;
  let token = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (LITERAL.test(char)) {
      token += char;
      continue;
    }
    let codePoint = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (codePoint >= 0xd800 && codePoint <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      codePoint = 0x10000 + ((codePoint - 0xd800) << 10) + (next - 0xdc00);
      i++;
    }
    for (const byte of utf8Bytes(codePoint)) token += '=' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return token;
}

/** The text of a token made by {@link encodeToken}; throws on a token it could not have made. */
export function decodeToken(token: string): string {
  if (token === EMPTY_TOKEN) return '';
  let text = '';
  let i = 0;
  while (i < token.length) {
    if (token[i] !== '=') {
      text += token[i];
      i++;
      continue;
    }
    const bytes: number[] = [];
    while (token[i] === '=') {
      const hex = token.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) throw new Error(`not an encoded token: ${token}`);
      bytes.push(parseInt(hex, 16));
      i += 3;
    }
    text += decodeUtf8(bytes, token);
  }
  return text;
}

/** The subject of a stream's messages. */
export function subjectOfStream(prefix: string, stream: string): string {
  return `${prefix}.${stream.split('.').map(encodeToken).join('.')}`;
}

/** The stream whose messages are on `subject`, or undefined for a subject outside `prefix`. */
export function streamOfSubject(prefix: string, subject: string): string | undefined {
  if (!subject.startsWith(`${prefix}.`)) return undefined;
  return subject
    .slice(prefix.length + 1)
    .split('.')
    .map(decodeToken)
    .join('.');
}

/**
 * The narrowest subject filter that holds every stream whose name starts with `namePrefix`: the
 * complete segments of the prefix as tokens, then `>`. Whatever the filter cannot narrow (the
 * part after the last dot) the caller checks with `startsWith`.
 */
export function filterOfPrefix(prefix: string, namePrefix: string | undefined): string {
  if (namePrefix === undefined || namePrefix === '') return `${prefix}.>`;
  const complete = namePrefix.split('.').slice(0, -1);
  if (complete.length === 0) return `${prefix}.>`;
  return `${prefix}.${complete.map(encodeToken).join('.')}.>`;
}

/** Whether `subject` is on `filter`, a literal subject or one ending in `.>` (the filters this store makes). */
export function subjectMatches(filter: string, subject: string): boolean {
  if (filter.endsWith('.>')) return subject.startsWith(filter.slice(0, -1));
  return subject === filter;
}

/** Whether `prefix` can head the subjects of a store: tokens of [A-Za-z0-9_-], dot-separated. */
export function isValidSubjectPrefix(prefix: string): boolean {
  return /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(prefix);
}

function utf8Bytes(codePoint: number): number[] {
  if (codePoint < 0x80) return [codePoint];
  if (codePoint < 0x800) return [0xc0 | (codePoint >> 6), 0x80 | (codePoint & 0x3f)];
  if (codePoint < 0x10000) {
    return [0xe0 | (codePoint >> 12), 0x80 | ((codePoint >> 6) & 0x3f), 0x80 | (codePoint & 0x3f)];
  }
  return [
    0xf0 | (codePoint >> 18),
    0x80 | ((codePoint >> 12) & 0x3f),
    0x80 | ((codePoint >> 6) & 0x3f),
    0x80 | (codePoint & 0x3f),
  ];
}

/** Decodes generalized UTF-8 (surrogate code points allowed, as encodeToken writes them). */
function decodeUtf8(bytes: readonly number[], token: string): string {
  let text = '';
  let i = 0;
  const continuation = (k: number): number => {
    const byte = bytes[i + k];
    if (byte === undefined || (byte & 0xc0) !== 0x80) throw new Error(`not an encoded token: ${token}`);
    return byte & 0x3f;
  };
  while (i < bytes.length) {
    const lead = bytes[i]!;
    let codePoint: number;
    let length: number;
    if (lead < 0x80) {
      codePoint = lead;
      length = 1;
    } else if ((lead & 0xe0) === 0xc0) {
      codePoint = ((lead & 0x1f) << 6) | continuation(1);
      length = 2;
    } else if ((lead & 0xf0) === 0xe0) {
      codePoint = ((lead & 0x0f) << 12) | (continuation(1) << 6) | continuation(2);
      length = 3;
    } else if ((lead & 0xf8) === 0xf0) {
      codePoint = ((lead & 0x07) << 18) | (continuation(1) << 12) | (continuation(2) << 6) | continuation(3);
      length = 4;
    } else {
      throw new Error(`not an encoded token: ${token}`);
    }
    text += String.fromCodePoint(codePoint);
    i += length;
  }
  return text;
}
