import { describe, it } from 'vitest';
import { fuzzBriefly } from './fuzz-suite.js';

// Short run of the decoder target (test/fuzz/decoder-target.ts); `npm run fuzz` runs it long.
describe('fuzzing the decoders', () => {
  it('gives a frame or the protocol\'s own error for any bytes, in both codecs', async () => {
    await fuzzBriefly('decoder', 1000, 8);
  }, 30_000);
});
