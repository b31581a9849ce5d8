import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../server-reference/config.js';

const BASE = '/srv/tauon';
const stores = { main: { kind: 'lmdb', path: './data' } };

function problems(input: unknown): readonly string[] {
  try {
    parseConfig(input, 'tauon.config.json', BASE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  return expect.fail('the configuration should have been refused');
}

describe('configuration file: tls, http and the amqps CA', () => {
  it('resolves the certificate, the key and the broker CA against the file, and keeps the allow-lists', () => {
    const config = parseConfig(
      {
        stores,
        tls: { cert: 'tls/server.pem', key: '/etc/tauon/server.key' },
        http: { allowOrigins: ['https://app.example.com', '*'], allowHosts: ['tauon.internal', '[::2]'] },
        amqp: { url: 'amqps://broker.example', ca: 'tls/ca.pem' },
      },
      'tauon.config.json',
      BASE,
    );
    expect(config.tls).toEqual({ cert: '/srv/tauon/tls/server.pem', key: '/etc/tauon/server.key' });
    expect(config.http).toEqual({ allowOrigins: ['https://app.example.com', '*'], allowHosts: ['tauon.internal', '[::2]'] });
    expect(config.amqp).toEqual({ url: 'amqps://broker.example', service: 'tauon', ca: '/srv/tauon/tls/ca.pem' });
  });

  it('leaves them out when the file does', () => {
    const config = parseConfig({ stores }, 'f', BASE);
    expect(config.tls).toBeUndefined();
    expect(config.http).toBeUndefined();
  });

  it('names what is wrong by its path', () => {
    expect(problems({ stores, tls: { cert: 'c.pem' } })).toEqual(['tls.key: Invalid input: expected string, received undefined']);
    expect(problems({ stores, http: { allowOrigins: ['https://app.example.com/path', 'app.example.com'] } })).toEqual([
      'http.allowOrigins[0]: must be an origin, scheme://host[:port], or "*"',
      'http.allowOrigins[1]: must be an origin, scheme://host[:port], or "*"',
    ]);
    expect(problems({ stores, http: { allowHosts: ['tauon.internal:7600'] } })).toEqual([
      'http.allowHosts[0]: must be a host name without port, or "*"',
    ]);
    expect(problems({ stores, http: { allowOrigin: [] } })).toEqual(['http: Unrecognized key: "allowOrigin"']);
  });
});
