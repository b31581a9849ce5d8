import { describe, expect, it } from 'vitest';
import {
  decodeToken,
  encodeToken,
  filterOfPrefix,
  isValidSubjectPrefix,
  streamOfSubject,
  subjectOfStream,
} from '../../server-reference/stores/jetstream/subjects.js';

/** What NATS allows in one subject token, and what a KV key allows (the stricter of the two). */
const SAFE_TOKEN = /^[A-Za-z0-9_=-]+$/;

const NAMES = [
  'orders',
  'orders.eu.42',
  'orders.',
  '.leading',
  'a..b',
  'with space',
  'star*and>gt',
  'tab\there',
  'equals=sign',
  '=41',
  'ünïcödé',
  'emoji 😀 and 𝄞',
  'lone \ud800 high',
  'lone \udc00 low',
  'pair \ud83d\ude00 split',
  '$weird',
  '-_-',
  'x'.repeat(256),
];

describe('jetstream subjects: stream names and event ids as subject tokens', () => {
  it('every name becomes tokens NATS and KV accept, and decodes back to itself', () => {
    for (const name of NAMES) {
      const subject = subjectOfStream('tauon', name);
      const tokens = subject.split('.');
      expect(tokens[0], name).toBe('tauon');
      for (const token of tokens.slice(1)) expect(token, `a token of ${JSON.stringify(name)}`).toMatch(SAFE_TOKEN);
      expect(streamOfSubject('tauon', subject), `round trip of ${JSON.stringify(name)}`).toBe(name);
      expect(decodeToken(encodeToken(name)), `token round trip of ${JSON.stringify(name)}`).toBe(name);
      expect(encodeToken(name), 'an id is one KV key token').toMatch(SAFE_TOKEN);
    }
  });

  it('different names never share a subject', () => {
    const subjects = new Set(NAMES.map((name) => subjectOfStream('p', name)));
    expect(subjects.size).toBe(NAMES.length);
    expect(subjectOfStream('p', 'a.b')).not.toBe(subjectOfStream('p', 'a=2Eb'));
  });

  it('keeps plain segments readable: one token per dot-separated segment', () => {
    expect(subjectOfStream('tauon', 'orders.eu.42')).toBe('tauon.orders.eu.42');
    expect(subjectOfStream('tauon', 'orders.')).toBe('tauon.orders.=');
    expect(subjectOfStream('t.x', 'a b')).toBe('t.x.a=20b');
  });

  it('a subject outside the prefix is no stream; a malformed token is refused', () => {
    expect(streamOfSubject('tauon', 'other.orders')).toBeUndefined();
    expect(() => decodeToken('bad=Z1')).toThrow();
    expect(() => decodeToken('=FF')).toThrow();
  });

  it('a prefix narrows the filter by its complete segments; the rest is left to the caller', () => {
    expect(filterOfPrefix('tauon', undefined)).toBe('tauon.>');
    expect(filterOfPrefix('tauon', '')).toBe('tauon.>');
    expect(filterOfPrefix('tauon', 'orders')).toBe('tauon.>');
    expect(filterOfPrefix('tauon', 'orders.')).toBe('tauon.orders.>');
    expect(filterOfPrefix('tauon', 'orders.eu.4')).toBe('tauon.orders.eu.>');
    expect(filterOfPrefix('tauon', 'a b.')).toBe('tauon.a=20b.>');
  });

  it('every stream under a prefix has a subject its filter matches', () => {
    const matches = (filter: string, subject: string): boolean => {
      const f = filter.split('.');
      const s = subject.split('.');
      for (let i = 0; i < f.length; i++) {
        if (f[i] === '>') return s.length > i;
        if (f[i] !== '*' && f[i] !== s[i]) return false;
      }
      return f.length === s.length;
    };
    for (const prefix of ['', 'orders', 'orders.', 'a..', 'with space.', 'orders.eu.', '.']) {
      for (const name of [...NAMES, 'orders.1', 'orders.eu.1', 'a..b.c']) {
        if (!name.startsWith(prefix)) continue;
        expect(matches(filterOfPrefix('p', prefix), subjectOfStream('p', name)), `${name} under ${JSON.stringify(prefix)}`).toBe(true);
      }
    }
  });

  it('accepts only plain dot-separated tokens as a subject prefix', () => {
    expect(isValidSubjectPrefix('tauon')).toBe(true);
    expect(isValidSubjectPrefix('tauon.prod-1')).toBe(true);
    for (const bad of ['', 'a.', '.a', 'a..b', 'a.*', 'a.>', 'a b', 'ü']) expect(isValidSubjectPrefix(bad), bad).toBe(false);
  });
});
