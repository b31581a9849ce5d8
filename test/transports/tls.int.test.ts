import { randomUUID } from 'node:crypto';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { createHttpApi } from '../../server-reference/http-api.js';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { AmqpServerTransport, amqpTransport } from '../../transports/amqp/index.js';
import { WsServerTransport, wsTransport } from '../../transports/ws/index.js';
import { sendHttp } from '../support/http-request.js';
import { requireService } from '../support/services.js';
import { makeTestCertificates, type TestCertificates } from '../support/test-certificates.js';
import { startTlsProxy } from '../support/tls-proxy.js';

const rabbitMq = await requireService('RabbitMQ', 5672);

let certificates: TestCertificates;
beforeAll(async () => {
  certificates = await makeTestCertificates();
});
afterAll(async () => {
  await certificates?.remove();
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe('wss:// and https:// on one port', () => {
  async function startTls(): Promise<{ port: number; store: MemoryStore }> {
    const store = new MemoryStore();
    const server = new TauonServer({ store });
    const https: HttpsServer = createHttpsServer({ cert: certificates.cert, key: certificates.key }, createHttpApi(server));
    await server.listen(new WsServerTransport({ server: https }));
    await new Promise<void>((ready) => https.listen(0, '127.0.0.1', ready));
    cleanups.push(async () => {
      await server.close();
      await new Promise<void>((closed) => {
        https.close(() => closed());
        https.closeAllConnections();
      });
      await store.close();
    });
    return { port: (https.address() as AddressInfo).port, store };
  }

  it('serves a client that trusts the CA, as PEM text or bytes, and HTTPS beside it', async () => {
    const { port } = await startTls();
    const client = await connect(wsTransport(`wss://127.0.0.1:${port}/`, { ca: certificates.ca }), { reconnect: { enabled: false } });
    try {
      expect((await client.emit('tls-ws', { type: 'Sealed' })).seq).toBe(1);
    } finally {
      await client.close();
    }
    const bytes = new TextEncoder().encode(certificates.ca);
    const byName = await connect(wsTransport(`wss://localhost:${port}/`, { ca: [bytes] }), { reconnect: { enabled: false } });
    try {
      expect((await byName.read('tls-ws')).events.map((event) => event.type)).toEqual(['Sealed']);
    } finally {
      await byName.close();
    }
    const health = await sendHttp(`https://127.0.0.1:${port}/health`, { ca: certificates.ca });
    expect(health).toMatchObject({ status: 200, body: '{"ok":true}' });
  });

  it('refuses a client that does not trust the certificate, and says what to do', async () => {
    const { port } = await startTls();
    const refused = await wsTransport(`wss://127.0.0.1:${port}/`).connect().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({ code: 'closed', message: expect.stringMatching(/unable to verify the first certificate.*give the certificate of the CA that signed it, option ca/) as unknown });
    await expect(sendHttp(`https://127.0.0.1:${port}/health`)).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    // Another CA is no better.
    const other = await makeTestCertificates();
    cleanups.push(() => other.remove());
    await expect(wsTransport(`wss://127.0.0.1:${port}/`, { ca: other.ca }).connect()).rejects.toMatchObject({ code: 'closed' });
  });
});

describe.skipIf(!rabbitMq)('amqps:// to the broker, with a CA', () => {
  it('serves and connects through a TLS endpoint of the broker whose certificate the CA signed', async () => {
    const proxy = await startTlsProxy({ cert: certificates.cert, key: certificates.key, targetPort: 5672 });
    cleanups.push(() => proxy.close());
    const url = `amqps://127.0.0.1:${proxy.port}`;
    const service = `tauon-tls-${randomUUID().slice(0, 8)}`;
    const store = new MemoryStore();
    const server = new TauonServer({ store });
    cleanups.push(async () => {
      await server.close();
      await store.close();
    });
    await server.listen(new AmqpServerTransport({ url, service, ca: certificates.ca }));
    const client = await connect(amqpTransport(url, { service, ca: certificates.ca }), { reconnect: { enabled: false } });
    try {
      expect((await client.emit('tls-amqp', { type: 'OverAmqps' })).seq).toBe(1);
      expect((await client.read('tls-amqp')).events.map((event) => event.type)).toEqual(['OverAmqps']);
    } finally {
      await client.close();
    }
    // Without the CA the broker's certificate is not trusted: a clear refusal, not a hang.
    const untrusted = await amqpTransport(url, { service, connectTimeoutMs: 5_000 }).connect().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(untrusted).toMatchObject({ code: 'closed', message: expect.stringContaining('unable to verify the first certificate') as unknown });
  });

  it('refuses a CA given for a broker URL without TLS, rather than connect in the clear', async () => {
    const refused = await amqpTransport('amqp://127.0.0.1:5672', { service: 'tauon-tls-none', ca: certificates.ca, connectTimeoutMs: 5_000 })
      .connect()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(refused).toMatchObject({ code: 'closed', message: expect.stringContaining('not amqps://') as unknown });
    await expect(new AmqpServerTransport({ url: 'amqp://127.0.0.1:5672', service: 'tauon-tls-none', ca: certificates.ca }).listen(() => undefined)).rejects.toMatchObject({
      message: expect.stringContaining('not amqps://') as unknown,
    });
  });
});
