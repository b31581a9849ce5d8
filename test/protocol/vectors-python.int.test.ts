import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { servicesRequired } from '../support/services.js';

// The golden vectors read by a second implementation (test/protocol/vectors_check.py: Python's
// json and Debian's python3-msgpack), so that they cannot drift into something only the
// TypeScript codecs (msgpackr) read. Skipped where /usr/bin/python3 lacks msgpack, except in CI
// (TAUON_REQUIRE_SERVICES=1), whose .ci/run installs python3-msgpack.

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./vectors_check.py', import.meta.url));

const probe = spawnSync(PYTHON, ['-c', 'import msgpack'], { encoding: 'utf8', timeout: 10_000 });
const withMsgpack = probe.status === 0;
const missing = `${PYTHON} cannot import msgpack (apt-get install python3-msgpack)`;
if (!withMsgpack && servicesRequired()) {
  throw new Error(`${missing}; required under TAUON_REQUIRE_SERVICES=1: ${probe.error?.message ?? probe.stderr.trim()}`);
}

describe.skipIf(!withMsgpack)(withMsgpack ? 'golden vectors read by Python' : `golden vectors read by Python (skipped: ${missing})`, () => {
  it('decodes every valid vector from both encodings to its frame and accepts it; refuses every invalid one with its code', () => {
    const run = spawnSync(PYTHON, [SCRIPT, '--strict'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.error).toBeUndefined();
    expect(run.stderr, 'nothing on stderr').toBe('');
    expect(run.stdout, 'no problem listed').toMatch(/^\d+ valid vectors decoded from JSON and msgpack, accepted and written again; (\d+) of \1 invalid vectors refused with their code; 0 problems\n$/);
    expect(run.status).toBe(0);
  });
});
