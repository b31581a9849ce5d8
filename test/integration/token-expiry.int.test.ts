import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type ConnectionStatus } from '../../client/index.js';
import { createAuthenticator } from '../../server-reference/auth/create-authenticator.js';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { CloseCodes } from '../../transports/transport.js';
import { listenWs, wsTransport, type WsListener } from '../../transports/ws/index.js';
import { RawPeer } from '../conformance/raw-peer.js';

const SECRET = new TextEncoder().encode('the-expiry-tests-hmac-secret-of-32-bytes');

/** A JWT that may read and write everything and expires at the second `exp` (1 to 2 s from now by default). */
function mint(exp = Math.floor(Date.now() / 1000) + 2): Promise<string> {
  return new SignJWT({ exp, tauon: { read: ['$all'], write: ['$all'] } }).setProtectedHeader({ alg: 'HS256' }).sign(SECRET);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a session whose token expires, over ws', () => {
  let store: MemoryStore;
  let server: TauonServer;
  let listener: WsListener;

  beforeAll(async () => {
    store = new MemoryStore();
    server = new TauonServer({ store, authenticate: await createAuthenticator({ jwt: { secret: SECRET } }) });
    listener = await listenWs({ host: '127.0.0.1', port: 0 });
    await server.listen(listener.transport);
  });
  afterAll(async () => {
    await server.close();
    await listener.close();
    await store.close();
  });

  it('is told the token expired and closed with 4001 at the expiry', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const peer = await RawPeer.open(() => wsTransport(listener.url).connect(), { token: await mint(exp) });
    const error = await peer.expect('error', {}, 4000);
    const at = Date.now();
    expect(error.code).toBe('unauthorized');
    expect(error.message).toBe(`the token expired at ${new Date(exp * 1000).toISOString()}`);
    const closed = await peer.waitClosed(2000);
    expect(closed.code).toBe(CloseCodes.handshake);
    expect(closed.reason).toBe('token expired');
    // At the expiry: not before it, and not long after (the timer, not the next frame, closes it).
    expect(at).toBeGreaterThanOrEqual(exp * 1000 - 5);
    expect(at).toBeLessThan(exp * 1000 + 1000);
  });

  it('refuses a token that has already expired at hello', async () => {
    const peer = new RawPeer(await wsTransport(listener.url).connect());
    const exp = Math.floor(Date.now() / 1000) - 1;
    peer.send({ type: 'hello', versions: [1], token: await mint(exp) });
    const reject = await peer.expect('reject');
    expect(reject).toMatchObject({ code: 'unauthorized', message: `the token expired at ${new Date(exp * 1000).toISOString()}` });
    expect((await peer.waitClosed()).code).toBe(CloseCodes.handshake);
  });

  it('lets a client with a token provider reconnect with a fresh token and resume, without gap or duplicate', async () => {
    let minted = 0;
    const states: ConnectionStatus[] = [];
    const client = await connect(wsTransport(listener.url), {
      token: () => {
        minted += 1;
        return mint();
      },
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    });
    const watching = client.status$.subscribe((status) => states.push(status));
    const seen: number[] = [];
    const failures: unknown[] = [];
    const subscription = client
      .subscribe('ticks', { mode: 'hot-cold' })
      .subscribe({ next: (event) => seen.push((event.data as { n: number }).n), error: (error: unknown) => failures.push(error) });
    // About 5 s of emits, one every 40 ms: the tokens last 1 to 2 s, so the session expires at least twice.
    const count = 125;
    const acks: Promise<unknown>[] = [];
    for (let n = 1; n <= count; n++) {
      acks.push(client.emit('ticks', { id: `tick-${n}`, type: 'Tick', data: { n } }));
      await sleep(40);
    }
    await Promise.all(acks);
    const deadline = Date.now() + 10_000;
    while (seen.length < count && Date.now() < deadline) await sleep(20);
    expect(failures).toEqual([]);
    expect(seen).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect((await store.streamInfo('ticks'))?.count).toBe(count);
    const expiries = states.filter((status) => status.state === 'reconnecting' && status.error?.code === 'unauthorized');
    expect(expiries.length).toBeGreaterThanOrEqual(2);
    expect(expiries[0]!.state === 'reconnecting' && expiries[0]!.error?.message).toMatch(/^the token expired at /);
    expect(minted).toBe(1 + states.filter((status) => status.state === 'reconnecting').length);
    expect(client.status.state).toBe('connected');
    subscription.unsubscribe();
    watching.unsubscribe();
    await client.close();
  }, 30_000);

  it('gives up, as after any refusal at hello, when the client has only the expired token', async () => {
    const client = await connect(wsTransport(listener.url), { token: await mint(), reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
    const failure = await new Promise<unknown>((resolve) => {
      client.subscribe('ticks', { mode: 'hot' }).subscribe({ error: resolve });
    });
    expect(failure).toMatchObject({ code: 'closed' });
    expect(client.status).toMatchObject({ state: 'closed', error: { code: 'unauthorized' } });
    expect(client.status.state === 'closed' && client.status.error?.message).toMatch(/the token expired at /);
  }, 10_000);
});
