import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RawPeer } from '../conformance/raw-peer.js';
import { startServer, TRANSPORTS, type RunningServer } from '../support/harness.js';
import { parseScrape, type Scrape } from './prometheus-text.js';

describe.each(TRANSPORTS)('connections and sessions over %s', (kind) => {
  let running: RunningServer;
  beforeEach(async () => {
    running = await startServer(kind);
  });
  afterEach(() => running.close());

  const scrape = async (): Promise<Scrape> => parseScrape(await running.server.metrics!.text());
  const until = async (check: (now: Scrape) => boolean): Promise<Scrape> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const now = await scrape();
      if (check(now) || Date.now() > deadline) return now;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it(`labels them "${kind}": a connection in its handshake is no session yet`, async () => {
    expect((await scrape()).value('tauon_sessions', { transport: kind })).toBe(0);
    const welcomed = await RawPeer.open(() => running.connect());
    const silent = await RawPeer.connect(() => running.connect());
    let now = await until((scrape) => scrape.value('tauon_connections', { transport: kind }) === 2);
    expect(now.value('tauon_connections', { transport: kind })).toBe(2);
    expect(now.value('tauon_sessions', { transport: kind })).toBe(1);
    silent.send({ type: 'hello', versions: [1] });
    await silent.expect('welcome');
    expect((await scrape()).value('tauon_sessions', { transport: kind })).toBe(2);
    welcomed.close();
    silent.close();
    now = await until((scrape) => scrape.value('tauon_connections', { transport: kind }) === 0);
    expect(now.value('tauon_connections', { transport: kind })).toBe(0);
    expect(now.value('tauon_sessions', { transport: kind })).toBe(0);
    expect(now.value('tauon_connections_opened_total', { transport: kind })).toBe(2);
  });
});
