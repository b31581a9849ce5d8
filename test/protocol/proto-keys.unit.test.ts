import { describe, expect, it } from 'vitest';
import { mayHoldProtoKey, mayHoldProtoKeyBefore, plainObjectsOf } from '../../protocol/proto-keys.js';

const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('mayHoldProtoKey', () => {
  it('finds __proto__ anywhere in the bytes, at their start and end too', () => {
    expect(mayHoldProtoKey(bytesOf('__proto__'))).toBe(true);
    expect(mayHoldProtoKey(bytesOf('xx_y___proto__'))).toBe(true);
    expect(mayHoldProtoKey(bytesOf('__proto_ _proto__ __prot__'))).toBe(false);
  });

  it('looks only up to `end` when told, as lmdb-js decodes from a shared buffer far longer than the value', () => {
    const shared = new Uint8Array(1 << 20);
    shared.set(bytesOf('abc'), 0);
    shared.set(bytesOf('__proto__'), 100);
    expect(mayHoldProtoKeyBefore(shared, 3)).toBe(false);
    expect(mayHoldProtoKeyBefore(shared, 108)).toBe(false);
    expect(mayHoldProtoKeyBefore(shared, 109)).toBe(true);
    expect(mayHoldProtoKey(shared)).toBe(true);
  });
});

describe('plainObjectsOf', () => {
  it('turns Maps into objects with __proto__ as an own property, never the prototype', () => {
    const value = plainObjectsOf(new Map<string, unknown>([['__proto__', [new Map([['a', 1]])]]])) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(JSON.stringify(value)).toBe('{"__proto__":[{"a":1}]}');
  });
});
