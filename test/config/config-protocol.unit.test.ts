import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../server-reference/config.js';
import { protocolOptions } from '../../server-reference/config-protocol.js';

const lmdb = { kind: 'lmdb', path: './data' };

function problems(input: unknown): readonly string[] {
  try {
    parseConfig(input, 'tauon.config.json', '/srv/tauon');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('the protocol section of the configuration', () => {
  it('gives TauonServer the heartbeat, the announced limits and the fell-behind threshold it names, and nothing it leaves out', () => {
    const config = parseConfig(
      { stores: { main: lmdb }, protocol: { heartbeatMs: 400, limits: { maxFrameBytes: 65536, maxCredit: 1000 }, fellBehindThreshold: 50 } },
      'f',
      '/srv',
    );
    expect(protocolOptions(config.protocol)).toEqual({ heartbeatMs: 400, limits: { maxFrameBytes: 65536, maxCredit: 1000 }, behindThreshold: 50 });
    expect(protocolOptions(parseConfig({ stores: { main: lmdb } }, 'f', '/srv').protocol)).toEqual({});
    expect(protocolOptions(parseConfig({ stores: { main: lmdb }, protocol: {} }, 'f', '/srv').protocol)).toEqual({});
  });

  it('refuses values no server can serve, and unknown keys, naming each by its path', () => {
    expect(
      problems({
        stores: { main: lmdb },
        protocol: { heartbeatMs: 10, limits: { maxFrameBytes: 100, maxSubscriptions: 0, maxCredit: 1.5 }, fellBehindThreshold: -1 },
      }),
    ).toEqual([
      'protocol.heartbeatMs: must be at least 50 (ms)',
      'protocol.limits.maxFrameBytes: must be at least 1024',
      'protocol.limits.maxSubscriptions: must be at least 1',
      'protocol.limits.maxCredit: must be a whole number',
      'protocol.fellBehindThreshold: must be at least 1',
    ]);
    expect(problems({ stores: { main: lmdb }, protocol: { heartbeat: 400 } })).toEqual(['protocol: Unrecognized key: "heartbeat"']);
    expect(problems({ stores: { main: lmdb }, protocol: { limits: { maxEvents: 5 } } })).toEqual(['protocol.limits: Unrecognized key: "maxEvents"']);
  });
});
