import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { InternalErrorRecord } from '../../server-reference/internal-errors.js';
import { TauonServer, type TauonServerOptions } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { listenWs, wsTransport, type WsListener } from '../../transports/ws/index.js';
import { RawPeer } from '../conformance/raw-peer.js';

/** A pino logger at `level` whose JSON lines are kept in `lines`. */
function capturedLog(level: string): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level }, sink), lines };
}

describe('TauonServerOptions.log: a pino logger as it is', () => {
  const running: { server: TauonServer; listener: WsListener; store: MemoryStore }[] = [];
  const start = async (options: Omit<TauonServerOptions, 'store'>) => {
    const store = new MemoryStore();
    const server = new TauonServer({ store, ...options });
    const listener = await listenWs();
    await server.listen(listener.transport);
    running.push({ server, listener, store });
    return { server, store, url: listener.url };
  };
  afterEach(async () => {
    for (const { server, listener, store } of running.splice(0)) {
      await server.close();
      await listener.close();
      await store.close();
    }
  });

  const until = async (check: () => boolean): Promise<void> => {
    const deadline = Date.now() + 5000;
    while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  };

  it('logs internal errors at error, with the id the client was told, when no errorLog is given', async () => {
    const { log, lines } = capturedLog('info');
    const { store, url } = await start({ log });
    const peer = await RawPeer.open(() => wsTransport(url).connect());
    await store.close();
    peer.send({ type: 'append', id: 1, stream: 'a', events: [{ type: 'T' }] });
    const answer = await peer.expect('error', { id: 1 });
    peer.close();
    expect(answer.code).toBe('internal');
    const errors = lines.filter((line) => line['msg'] === 'internal error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ level: 50, errorId: answer.details?.['errorId'], context: 'append' });
    expect(errors[0]!['error']).toMatchObject({ name: 'TauonError', message: 'the memory store is closed', code: 'internal' });
    expect((errors[0]!['error'] as { stack: string }).stack).toContain('memory-store');
    // At info, connections are not logged.
    expect(lines.filter((line) => String(line['msg']).startsWith('connection'))).toEqual([]);
  });

  it('leaves internal errors to errorLog when both are given', async () => {
    const { log, lines } = capturedLog('debug');
    const records: InternalErrorRecord[] = [];
    const { store, url } = await start({ log, errorLog: (record) => records.push(record) });
    const peer = await RawPeer.open(() => wsTransport(url).connect());
    await store.close();
    peer.send({ type: 'append', id: 1, stream: 'a', events: [{ type: 'T' }] });
    await peer.expect('error', { id: 1 });
    peer.close();
    await until(() => lines.some((line) => line['msg'] === 'connection closed'));
    expect(records).toHaveLength(1);
    expect(lines.filter((line) => line['msg'] === 'internal error')).toEqual([]);
    expect(lines.map((line) => line['msg'])).toEqual(['connection opened', 'connection closed']);
  });

  it('at debug, says why a connection the server closed was closed', async () => {
    const { log, lines } = capturedLog('debug');
    const { server, url } = await start({ log });
    const peer = await RawPeer.open(() => wsTransport(url).connect());
    server.disconnectAll(1012, 'server restarting');
    await peer.waitClosed();
    await until(() => lines.some((line) => line['msg'] === 'connection closed'));
    expect(lines.find((line) => line['msg'] === 'connection closed')).toMatchObject({
      level: 20,
      transport: 'ws',
      code: 1012,
      reason: 'server restarting',
      closedBy: 'server',
    });
  });
});
