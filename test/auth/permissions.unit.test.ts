import { describe, expect, it } from 'vitest';
import { ForbiddenError } from '../../protocol/errors.js';
import type { ClientFrame } from '../../protocol/frames.js';
import { refusalOf } from '../../server-reference/auth/frame-authorization.js';
import { Permissions, SelectorSet } from '../../server-reference/auth/permissions.js';
import { parseSelector } from '../../server-reference/selector.js';

const reads = (permissions: Permissions, selector: string) => permissions.mayRead(parseSelector(selector));

describe('permissions', () => {
  it('covers an exact stream only by that name', () => {
    const permissions = Permissions.of({ read: ['orders'] });
    expect(reads(permissions, 'orders')).toBe(true);
    expect(reads(permissions, 'orders.1')).toBe(false);
    expect(reads(permissions, 'orders*')).toBe(false);
    expect(reads(permissions, 'order')).toBe(false);
  });

  it('covers with a prefix pattern every stream and every narrower pattern under it', () => {
    const permissions = Permissions.of({ read: ['orders.*'] });
    expect(reads(permissions, 'orders.x')).toBe(true);
    expect(reads(permissions, 'orders.eu.7')).toBe(true);
    expect(reads(permissions, 'orders.*')).toBe(true);
    expect(reads(permissions, 'orders.eu.*')).toBe(true);
    // A pattern is a prefix match: `orders.*` does not select `orders` or `orders-x`.
    expect(reads(permissions, 'orders')).toBe(false);
    expect(reads(permissions, 'orders-x')).toBe(false);
    expect(reads(permissions, 'orders*')).toBe(false);
    expect(reads(permissions, '$all')).toBe(false);
    expect(reads(permissions, '*')).toBe(false);
  });

  it('lets only $all (or *) cover $all', () => {
    for (const grant of ['$all', '*']) {
      const permissions = Permissions.of({ read: [grant] });
      expect(reads(permissions, '$all'), grant).toBe(true);
      expect(reads(permissions, '*'), grant).toBe(true);
      expect(reads(permissions, 'anything'), grant).toBe(true);
      expect(reads(permissions, 'a*'), grant).toBe(true);
    }
    expect(reads(Permissions.of({ read: ['a*', 'b*', 'c'] }), '$all')).toBe(false);
  });

  it('keeps read and write apart', () => {
    const permissions = Permissions.of({ read: ['r.*'], write: ['w.*'] });
    expect(permissions.mayWrite('w.1')).toBe(true);
    expect(permissions.mayWrite('r.1')).toBe(false);
    expect(reads(permissions, 'w.1')).toBe(false);
    expect(reads(permissions, 'r.1')).toBe(true);
    expect(permissions.unrestricted).toBe(false);
  });

  it('finds a prefix among several of different lengths', () => {
    const permissions = Permissions.of({ write: ['a.*', 'bb.cc.*', 'dddd*', 'exact'] });
    expect(['a.1', 'bb.cc.9', 'dddd', 'ddddz', 'exact'].map((stream) => permissions.mayWrite(stream))).toEqual([true, true, true, true, true]);
    expect(['a', 'bb.c', 'bb.cd', 'ddd', 'exactly', 'b'].map((stream) => permissions.mayWrite(stream))).toEqual([false, false, false, false, false, false]);
  });

  it('says all and none', () => {
    expect(Permissions.all.unrestricted).toBe(true);
    expect(Permissions.all.mayWrite('x')).toBe(true);
    expect(Permissions.none.unrestricted).toBe(false);
    expect(Permissions.none.mayWrite('x')).toBe(false);
    expect(reads(Permissions.none, 'x')).toBe(false);
  });

  it('refuses a grant that is not a selector, naming it', () => {
    for (const bad of ['a*b', '**', '$x', '', '$all*']) {
      expect(() => Permissions.of({ read: [bad] }), bad).toThrow(`"${bad}" is not a selector`);
    }
  });

  it('tells what lies under a listing prefix: the outermost granted prefixes, and the names they do not cover', () => {
    const set = new SelectorSet(['orders.*', 'orders.eu.*', 'ords', 'orders.x', 'other.*', 'orders-a']);
    expect(set.under('orders')).toEqual({ prefixes: ['orders.'], streams: ['orders-a'] });
    expect(set.under('')).toEqual({ prefixes: ['other.', 'orders.'], streams: ['ords', 'orders-a'] });
    expect(set.under('zzz')).toEqual({ prefixes: [], streams: [] });
  });
});

describe('authorizing frames', () => {
  const reader = Permissions.of({ read: ['orders.*'] });
  const writer = Permissions.of({ write: ['orders.*'] });

  const frames: Record<string, ClientFrame> = {
    append: { type: 'append', id: 1, stream: 'orders.1', events: [{ type: 'T' }] },
    invalidate: { type: 'invalidate', id: 2, stream: 'orders.1', tx: 1 },
    subscribe: { type: 'subscribe', sub: 1, stream: 'orders.*', mode: 'hot-cold', credit: 10 },
    read: { type: 'read', id: 3, stream: 'orders.1' },
    surface: { type: 'surface', id: 4, stream: 'orders.1' },
  };

  it('asks write of append and invalidate, read of subscribe, read and surface', () => {
    const refusals = (permissions: Permissions) =>
      Object.fromEntries(Object.entries(frames).map(([name, frame]) => [name, refusalOf(permissions, frame)?.details]));
    expect(refusals(reader)).toEqual({
      append: { permission: 'write', selector: 'orders.1' },
      invalidate: { permission: 'write', selector: 'orders.1' },
      subscribe: undefined,
      read: undefined,
      surface: undefined,
    });
    expect(refusals(writer)).toEqual({
      append: undefined,
      invalidate: undefined,
      subscribe: { permission: 'read', selector: 'orders.*' },
      read: { permission: 'read', selector: 'orders.1' },
      surface: { permission: 'read', selector: 'orders.1' },
    });
  });

  it('refuses with a ForbiddenError whose message names the permission and the selector', () => {
    const refusal = refusalOf(reader, { type: 'subscribe', sub: 1, stream: '$all', mode: 'cold', credit: 1 });
    expect(refusal).toBeInstanceOf(ForbiddenError);
    expect(refusal?.code).toBe('forbidden');
    expect(refusal?.message).toBe('no read permission on "$all"');
  });

  it('lets through what needs no permission', () => {
    const none = Permissions.none;
    const free: ClientFrame[] = [
      { type: 'info', id: 1 },
      { type: 'streams', id: 2 },
      { type: 'ping' },
      { type: 'pong' },
      { type: 'credit', sub: 1, n: 5 },
      { type: 'unsubscribe', sub: 1 },
    ];
    for (const frame of free) expect(refusalOf(none, frame), frame.type).toBeUndefined();
  });
});
