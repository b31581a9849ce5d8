/**
 * Test helpers for deciders, with no server and no test framework of their own: Given/When/Then
 * (`deciderSpec(decider)(events).when(command).then(events)`) that works in vitest, node:test,
 * jest or mocha, since a failed expectation is a thrown Error with a readable diff. Runtime-neutral.
 * @module tauon/testing
 */
export {
  deciderSpec,
  DeciderSpecificationError,
  type ExpectedError,
  type Given,
  type GivenStep,
  type WhenStep,
} from './decider-specification.js';
