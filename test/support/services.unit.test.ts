import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService, serviceAvailable, ServiceUnavailableError, servicesRequired } from './services.js';

/** Listens on an ephemeral loopback port; resolves once it is bound. */
function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port that was just free and now has no listener: bind it, then let it go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await close(server);
  return port;
}

describe('serviceAvailable', () => {
  const server = createServer((socket) => socket.destroy());
  let openPort = 0;
  let deadPort = 0;

  beforeAll(async () => {
    openPort = await listen(server);
    deadPort = await closedPort();
  });
  afterAll(() => close(server));

  it('answers true for a port with a listener', async () => {
    expect(await serviceAvailable('127.0.0.1', openPort)).toBe(true);
  });

  it('answers false for a port without one', async () => {
    expect(await serviceAvailable('127.0.0.1', deadPort)).toBe(false);
  });
});

describe('requireService', () => {
  const server = createServer((socket) => socket.destroy());
  let openPort = 0;
  let deadPort = 0;

  beforeAll(async () => {
    openPort = await listen(server);
    deadPort = await closedPort();
  });
  afterAll(() => close(server));

  it('returns true when the service answers, required or not', async () => {
    const logged: string[] = [];
    const log = (message: string): void => void logged.push(message);
    expect(await requireService('Echo', openPort, { env: {}, log })).toBe(true);
    expect(await requireService('Echo', openPort, { env: { TAUON_REQUIRE_SERVICES: '1' }, log })).toBe(true);
    expect(logged).toEqual([]);
  });

  it('returns false and says why when an optional service is absent', async () => {
    const logged: string[] = [];
    const result = await requireService('NATS', deadPort, { env: {}, log: (m) => void logged.push(m) });
    expect(result).toBe(false);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('NATS');
    expect(logged[0]).toContain(`127.0.0.1:${deadPort}`);
  });

  it('throws ServiceUnavailableError when a required service is absent', async () => {
    const attempt = requireService('PostgreSQL', deadPort, { env: { TAUON_REQUIRE_SERVICES: '1' }, log: () => {} });
    await expect(attempt).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(attempt).rejects.toMatchObject({ service: 'PostgreSQL', port: deadPort, host: '127.0.0.1' });
  });
});

describe('servicesRequired', () => {
  it('is on only for TAUON_REQUIRE_SERVICES=1', () => {
    expect(servicesRequired({ TAUON_REQUIRE_SERVICES: '1' })).toBe(true);
    expect(servicesRequired({ TAUON_REQUIRE_SERVICES: '0' })).toBe(false);
    expect(servicesRequired({})).toBe(false);
  });
});
