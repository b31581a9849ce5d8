import { describe, expect, it } from 'vitest';
import { describeAuth, isLoopbackHost } from '../../cli/serve-access.js';

describe('which hosts only this machine reaches', () => {
  it('counts localhost, 127.0.0.0/8 and ::1 (also mapped and bracketed) as loopback', () => {
    for (const host of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '127.255.255.254', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::ffff:7f00:1']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
  });

  it('counts every other address and name as reachable from elsewhere', () => {
    for (const host of ['0.0.0.0', '::', '[::]', '', '10.0.0.1', '192.168.1.2', '128.0.0.1', '::2', '::ffff:10.0.0.1', 'example.com', 'localhost.example.com', '127.0.0.1.example.com']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});

describe('what serve says about authentication', () => {
  it('names the ways in and what clients without a token may do', () => {
    expect(describeAuth({ tokens: [{ token: { env: 'A' } }] })).toBe('clients authenticate with 1 token; clients without a token are refused');
    expect(describeAuth({ jwt: { secret: { env: 'S' } }, anonymous: { read: ['public.*'] } })).toBe(
      'clients authenticate with JWTs; clients without a token may read public.* and write nothing',
    );
    expect(describeAuth({ anonymous: { read: ['$all'], write: ['$all'] } })).toBe('no tokens; clients without a token may read $all and write $all');
  });
});
