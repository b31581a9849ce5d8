import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { TauonError } from '../../protocol/errors.js';
import { CloseCodes } from '../../transports/transport.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { startServer, TRANSPORTS, type RunningServer } from '../support/harness.js';

describe.each(TRANSPORTS)('keep-alive and authentication over %s', (kind) => {
  let running: RunningServer | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it('closes a client that stays silent for three heartbeat intervals', async () => {
    running = await startServer(kind, { heartbeatMs: 100 });
    const peer = await RawPeer.open(() => running!.connect());
    peer.answerPings = false;
    const started = Date.now();
    const info = await peer.waitClosed(3000);
    expect(info.code).toBe(CloseCodes.heartbeatTimeout);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(peer.received.some((frame) => frame.type === 'ping')).toBe(true);
  });

  it('keeps a client that answers pings connected, without reconnects', async () => {
    running = await startServer(kind, { heartbeatMs: 100 });
    const client = await connect(running.transport);
    const states: string[] = [];
    const watching = client.status$.subscribe((status) => states.push(status.state));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const ack = await client.emit('alive', { type: 'StillHere' });
    expect(ack.seq).toBe(1);
    expect(states).toEqual(['connected']);
    watching.unsubscribe();
    await client.close();
  });

  it('refuses a client without the right token with unauthorized, and admits one with it', async () => {
    running = await startServer(kind, { authenticate: (token) => token === 'open-sesame' });
    const refused = await connect(running.transport, { token: 'wrong', reconnect: { enabled: false } }).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(TauonError);
    expect((refused as TauonError).code).toBe('unauthorized');
    const client = await connect(running.transport, { token: 'open-sesame' });
    expect((await client.emit('guarded', { type: 'In' })).seq).toBe(1);
    await client.close();
  });
});
