import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyBytes, applyStructural, type StructuralMutation } from './mutations.js';

// The fuzzer's own mutations must leave their inputs alone: a shared odd value that a mutation
// changed would change later inputs (the run would no longer replay from its seed), and a map
// given a key pointing back at itself made a cycle that ran a comparison out of memory.
describe('the fuzzer\'s mutations', () => {
  it('copy the values they insert, so that no later mutation can change a shared value or make a cycle', () => {
    const shared: Record<string, unknown> = {};
    const frame = { type: 'ping', nonce: 1 };
    const mutations: StructuralMutation[] = [
      { kind: 'replace', at: 2, value: shared },
      { kind: 'add-key', at: 2, key: 'self', value: shared },
      { kind: 'add-key', at: 0, key: '__proto__', value: [1] },
    ];
    const mutated = applyStructural(frame, mutations) as Record<string, unknown>;
    expect(shared).toStrictEqual({});
    expect(frame).toStrictEqual({ type: 'ping', nonce: 1 });
    expect(mutated['nonce']).toStrictEqual({ self: {} });
    expect(Object.hasOwn(mutated, '__proto__')).toBe(true);
  });

  it('leave the bytes they are given as they were', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 32 }), fc.nat(), (bytes, at) => {
        const copy = Uint8Array.from(bytes);
        applyBytes(bytes, [{ kind: 'flip', at, bit: 0 }, { kind: 'repeat', at, length: 4, times: 3 }]);
        expect(bytes).toStrictEqual(copy);
      }),
      { seed: 1, numRuns: 200 },
    );
  });
});
