import { describe, it } from 'vitest';
import { fuzzBriefly } from './fuzz-suite.js';

// Short runs of the validator targets (test/fuzz/validator-target.ts); `npm run fuzz` runs them long.
describe('fuzzing the validators', () => {
  it('accepts every valid frame unchanged, and it round-trips in both codecs', async () => {
    await fuzzBriefly('valid-frames', 1000, 6);
  }, 30_000);

  it('agrees with the zod schemas, fast checks included, on valid and mutated frames', async () => {
    await fuzzBriefly('validator-agreement', 1500, 6);
  }, 30_000);
});
