import { describe, it } from 'vitest';
import { fuzzBriefly } from './fuzz-suite.js';

// Short run of the session target (test/fuzz/session-target.ts): a hostile and a well-behaved
// client on a real server over the memory transport. `npm run fuzz` runs it long.
describe('fuzzing a session over the memory transport', () => {
  it('answers every hostile frame as the protocol says, and the well-behaved client loses nothing', async () => {
    await fuzzBriefly('session', 200, 10);
  }, 45_000);
});
