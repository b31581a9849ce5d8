import { describe, expect, it } from 'vitest';
import { freezeState, jsonBytes, plainValueProblem } from '../../server-reference/projections/projection-value.js';
import { checkDefinition, fingerprintOf, type ProjectionDefinition } from '../../server-reference/projections/projection-definition.js';

describe('a projection state as plain data', () => {
  it('takes null, booleans, finite numbers, strings, arrays and plain objects', () => {
    expect(plainValueProblem({ a: [1, 'two', null, true, { b: -0.5 }], c: Object.create(null) as object })).toBeUndefined();
    expect(plainValueProblem('x')).toBeUndefined();
  });

  it('names what is not plain data and where', () => {
    expect(plainValueProblem({ a: [1, new Map()] })).toMatch(/a Map at \.a\[1\] is not plain data/);
    expect(plainValueProblem({ a: undefined })).toMatch(/undefined at \.a is not plain data/);
    expect(plainValueProblem([Number.NaN])).toMatch(/NaN at \[0\] is not a finite number/);
    expect(plainValueProblem({ when: new Date(0) })).toMatch(/a Date at \.when/);
    expect(plainValueProblem(10n)).toMatch(/bigint/);
    expect(plainValueProblem({ text: '\ud800' })).toMatch(/not well-formed Unicode/);
    let deep: unknown = 1;
    for (let i = 0; i < 101; i += 1) deep = [deep];
    expect(plainValueProblem(deep)).toMatch(/nested deeper than 100 levels/);
  });

  it('measures JSON in UTF-8 bytes', () => {
    expect(jsonBytes({ a: 'é' })).toBe(Buffer.byteLength('{"a":"é"}'));
  });

  it('freezes a state deeply, leaving frozen parts alone', () => {
    const shared = Object.freeze({ kept: [1] });
    const state = freezeState({ fresh: { list: [1, 2] }, shared });
    expect(Object.isFrozen(state.fresh.list)).toBe(true);
    expect(Object.isFrozen(shared.kept), 'a frozen part is not walked').toBe(false);
  });
});

describe('a projection definition', () => {
  const base: ProjectionDefinition<number> = { name: 'p', stream: 'orders.*', initial: 0, evolve: (n) => n + 1 };

  it('lists every problem of a definition', () => {
    expect(() => checkDefinition({ name: 'a*', stream: '', initial: new Set(), evolve: 1, key: 'k' }, 'here')).toThrow(
      /projection "a\*": name: .*; stream: .*; evolve: must be a function.*; key: must be a function.*; initial: a Set/,
    );
    expect(() => checkDefinition(null, 'projections[3]')).toThrow(/projections\[3\]: a projection definition is an object/);
  });

  it('has a fingerprint that changes with the selector, filter, initial state and functions, not with onChange', () => {
    const same = fingerprintOf(base);
    expect(fingerprintOf({ ...base, onChange: 'rebuild' })).toBe(same);
    expect(fingerprintOf({ ...base, filter: { types: ['b', 'a'] } })).toBe(fingerprintOf({ ...base, filter: { types: ['a', 'b'] } }));
    for (const changed of [
      { ...base, stream: 'orders.1' },
      { ...base, filter: { types: ['a'] } },
      { ...base, initial: 1 },
      { ...base, evolve: (n: number) => n + 2 },
      { ...base, key: () => 'k' },
    ]) {
      expect(fingerprintOf(changed as ProjectionDefinition)).not.toBe(same);
    }
  });
});
