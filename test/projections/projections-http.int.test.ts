import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../server-reference/auth/create-authenticator.js';
import { createHttpApi } from '../../server-reference/http-api.js';
import type { ProjectionDefinition } from '../../server-reference/projections/projection-definition.js';
import type { ProjectionSummary } from '../../server-reference/projections/projection-service.js';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { listenWs } from '../../transports/ws/index.js';
import { sendHttp } from '../support/http-request.js';

const ADMIN = 'admin-token-0123456789abcdef';
/** May read the orders, and write nothing. */
const READER = 'reader-token-0123456789abcdef';
/** May read the audit streams only. */
const AUDITOR = 'auditor-token-0123456789abcdef';

let broken = true;
const definitions: ProjectionDefinition[] = [
  { name: 'order-count', stream: 'orders.*', initial: 0, evolve: (n) => (n as number) + 1 },
  {
    name: 'by customer/key',
    stream: 'orders.*',
    initial: 0,
    key: (event) => (event.data as { customer?: string }).customer,
    evolve: (n) => (n as number) + 1,
  },
  {
    name: 'audit-flaky',
    stream: 'audit',
    initial: 0,
    evolve: (n) => {
      if (broken) throw new Error('audit evolve is broken');
      return (n as number) + 1;
    },
  },
];

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown> & { error?: { code: string; message: string } };
}

describe('the HTTP API of server-side projections', () => {
  let server: TauonServer;
  let store: MemoryStore;
  let http: string;
  let close: () => Promise<void>;
  let lastOrder = 0;

  async function call(method: string, path: string, token: string | null = ADMIN, headers: Record<string, string> = {}): Promise<Answer> {
    const answer = await sendHttp(`${http}${path}`, {
      method,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
    });
    return { status: answer.status, body: JSON.parse(answer.body) as Answer['body'] };
  }

  beforeAll(async () => {
    store = new MemoryStore();
    const authenticate = await createAuthenticator({
      tokens: [
        { name: 'admin', token: ADMIN, read: ['$all'], write: ['$all'] },
        { name: 'reader', token: READER, read: ['orders.*'] },
        { name: 'auditor', token: AUDITOR, read: ['audit'] },
      ],
    });
    server = new TauonServer({ store, authenticate, projections: definitions, errorLog: () => undefined });
    const listener = await listenWs({ onRequest: createHttpApi(server) });
    await server.listen(listener.transport);
    http = listener.url.replace(/^ws/, 'http').replace(/\/$/, '');
    close = async () => {
      await server.close();
      await listener.close();
      await store.close();
    };
    for (const customer of ['ann', 'bob', 'ann']) {
      const answer = await server.request({ type: 'append', id: 0, stream: 'orders.1', events: [{ type: 'placed', data: { customer } }] });
      if (answer.type === 'appended') lastOrder = answer.positions[0]!;
    }
    await server.request({ type: 'append', id: 0, stream: 'audit', events: [{ type: 'seen' }] });
  });

  afterAll(async () => {
    await close();
  });

  it('reads an unkeyed state whole, waiting for a position with atLeast', async () => {
    const answer = await call('GET', `/projections/order-count?atLeast=${lastOrder}&timeoutMs=5000`);
    expect(answer).toMatchObject({ status: 200, body: { name: 'order-count', key: '', value: 3, found: true, status: 'running' } });
    expect(answer.body['checkpoint']).toBeGreaterThanOrEqual(lastOrder);
  });

  it('reads a keyed state by pages and one key by its URL-encoded name', async () => {
    await call('GET', `/projections/${encodeURIComponent('by customer/key')}?atLeast=${lastOrder}`);
    const page = await call('GET', `/projections/${encodeURIComponent('by customer/key')}?limit=1`);
    expect(page).toMatchObject({ status: 200, body: { entries: [{ key: 'ann', value: 2 }], more: true, status: 'running' } });
    const rest = await call('GET', `/projections/${encodeURIComponent('by customer/key')}?after=ann`);
    expect(rest.body).toMatchObject({ entries: [{ key: 'bob', value: 1 }], more: false });
    const one = await call('GET', `/projections/${encodeURIComponent('by customer/key')}/ann`);
    expect(one).toMatchObject({ status: 200, body: { key: 'ann', value: 2, found: true } });
    expect(await call('GET', `/projections/${encodeURIComponent('by customer/key')}/nobody`)).toMatchObject({ status: 200, body: { found: false } });
  });

  it('lists the projections a token may read, a failed one with its error', async () => {
    await expect(call('GET', '/projections/audit-flaky?atLeast=99&timeoutMs=5000')).resolves.toMatchObject({ status: 409, body: { error: { code: 'projection-failed' } } });
    const all = (await call('GET', '/projections')).body as unknown as ProjectionSummary[];
    expect(all.map((summary) => summary.name)).toEqual(['audit-flaky', 'by customer/key', 'order-count']);
    const failed = all.find((summary) => summary.name === 'audit-flaky')!;
    expect(failed).toMatchObject({ status: 'failed', stream: 'audit' });
    expect(failed.error).toContain('audit evolve is broken');
    const readers = (await call('GET', '/projections', READER)).body as unknown as ProjectionSummary[];
    expect(readers.map((summary) => summary.name)).toEqual(['by customer/key', 'order-count']);
    const info = (await call('GET', '/info', AUDITOR)).body as { projections?: { name: string; status: string; error?: string }[] };
    expect(info.projections).toEqual([expect.objectContaining({ name: 'audit-flaky', status: 'failed', error: expect.stringContaining('broken') as unknown })]);
  });

  it('answers errors with codes: unknown names, bad parameters, timeouts, permissions', async () => {
    expect(await call('GET', '/projections/nope')).toMatchObject({ status: 404, body: { error: { code: 'not-found' } } });
    expect(await call('GET', '/projections/order-count?atLeast=-1')).toMatchObject({ status: 400, body: { error: { code: 'bad-frame' } } });
    expect(await call('GET', '/projections/order-count?atLeast=1&timeoutMs=600000')).toMatchObject({ status: 400, body: { error: { code: 'bad-frame' } } });
    expect(await call('GET', `/projections/order-count?atLeast=${lastOrder + 100}&timeoutMs=10`)).toMatchObject({
      status: 504,
      body: { error: { code: 'timeout', details: { checkpoint: expect.any(Number) as unknown } } },
    });
    expect(await call('GET', '/projections/order-count', AUDITOR)).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect(await call('GET', '/projections/order-count', null)).toMatchObject({ status: 401 });
    expect(await call('DELETE', '/projections/order-count')).toMatchObject({ status: 404, body: { error: { code: 'not-found' } } });
  });

  it('rebuilds under the rules of writes: write on the selector, a JSON body type', async () => {
    expect(await call('POST', '/projections/audit-flaky/rebuild', READER)).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect(await call('POST', '/projections/audit-flaky/rebuild', ADMIN, { 'content-type': 'text/plain' })).toMatchObject({ status: 415 });
    broken = false;
    const answer = await call('POST', '/projections/audit-flaky/rebuild');
    expect(answer.status).toBe(200);
    expect(answer.body['name']).toBe('audit-flaky');
    const read = await call('GET', '/projections/audit-flaky?atLeast=1&timeoutMs=5000');
    expect(read).toMatchObject({ status: 200, body: { value: 1, status: 'running' } });
  });

  it('a server whose store keeps no projections answers 501 unsupported', async () => {
    const bare = new MemoryStore();
    const without = new Proxy(bare, { get: (target, property) => (property === 'projections' ? undefined : (Reflect.get(target, property, target) as unknown)) });
    const plain = new TauonServer({ store: without });
    const listener = await listenWs({ onRequest: createHttpApi(plain) });
    try {
      const answer = await sendHttp(`${listener.url.replace(/^ws/, 'http').replace(/\/$/, '')}/projections`);
      expect(answer.status).toBe(501);
      expect(() => new TauonServer({ store: without, projections: definitions })).toThrow(/keeps no projections/);
    } finally {
      await plain.close();
      await listener.close();
      await bare.close();
    }
  });
});
