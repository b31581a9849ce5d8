import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wsTransport } from '../../transports/ws/index.js';
import { RawPeer } from '../conformance/raw-peer.js';
import { runTauon, startServe, type ServeProcess } from '../support/cli-process.js';
import { sendHttp } from '../support/http-request.js';
import { tempDir } from '../support/temp-dir.js';
import { parseScrape } from './prometheus-text.js';

/** The JSON log lines a `tauon serve` wrote (on stderr; the lines for people go to stdout). */
function logLines(serve: ServeProcess): Record<string, unknown>[] {
  return serve
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Waits until `check` holds of the log, at most 5 s. */
async function logUntil(serve: ServeProcess, check: (lines: Record<string, unknown>[]) => boolean): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + 5000;
  while (!check(logLines(serve)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return logLines(serve);
}

/** A client's work: 10 appends of 20 events, a live subscription that receives them all, then goodbye. */
async function traffic(serve: ServeProcess): Promise<void> {
  const reader = await RawPeer.open(() => wsTransport(serve.url).connect());
  reader.send({ type: 'subscribe', sub: 1, stream: 'orders', mode: 'hot-cold', credit: 1000 });
  await reader.expect('caught-up', { sub: 1 });
  const writer = await RawPeer.open(() => wsTransport(serve.url).connect());
  for (let n = 0; n < 10; n += 1) {
    writer.send({ type: 'append', id: n, stream: 'orders', events: Array.from({ length: 20 }, () => ({ type: 'Tick' })) });
    await writer.expect('appended', { id: n });
  }
  let received = 0;
  while (received < 200) received += (await reader.expect('events', { sub: 1 })).events.length;
  writer.close();
  reader.close();
}

describe('tauon serve: JSON log lines on stderr (pino), --log-level', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir('serve-logs');
  });
  afterAll(() => dir.remove());

  it('at debug, a line for each connection opened and closed; the metrics count the same traffic', async () => {
    const serve = await startServe(['--data', `${dir.path}/debug`, '--port', '0', '--log-level', 'debug']);
    try {
      await traffic(serve);
      const lines = await logUntil(serve, (now) => now.filter((line) => line['msg'] === 'connection closed').length === 2);
      const opened = lines.filter((line) => line['msg'] === 'connection opened');
      const closed = lines.filter((line) => line['msg'] === 'connection closed');
      expect(opened).toHaveLength(2);
      expect(closed).toHaveLength(2);
      for (const line of [...opened, ...closed]) {
        expect(line).toMatchObject({ level: 'debug', transport: 'ws' });
        expect(typeof line['time']).toBe('string');
      }
      expect(new Set(closed.map((line) => line['connection']))).toEqual(new Set(opened.map((line) => line['connection'])));
      expect(closed[0]).toMatchObject({ closedBy: 'client', code: 1000 });
      // Nothing per event or frame, even at debug: two connections, 10 appends, 200 events.
      expect(lines.length).toBeLessThan(10);
      const scrape = parseScrape((await sendHttp(`${serve.httpUrl}/metrics`)).body);
      expect(scrape.value('tauon_events_appended_total')).toBe(200);
      expect(scrape.value('tauon_events_delivered_total')).toBe(200);
      expect(scrape.value('tauon_connections_opened_total', { transport: 'ws' })).toBe(2);
    } finally {
      await serve.stop();
    }
  });

  it('at info (the default), the start and the stop, nothing per connection nor per event', async () => {
    const serve = await startServe(['--data', `${dir.path}/info`, '--port', '0']);
    await traffic(serve);
    // The stdout lines are as they were: scripts and tests read the address from them.
    expect(serve.output()).toMatch(/tauon: serving ws:\/\/127\.0\.0\.1:\d+\/ and http:\/\/127\.0\.0\.1:\d+\//);
    expect(await serve.stop()).toBe(0);
    const lines = logLines(serve);
    expect(lines.map((line) => line['msg'])).toEqual(['listening', 'stopping']);
    expect(lines[0]).toMatchObject({ level: 'info', ws: serve.url.endsWith('/') ? serve.url : `${serve.url}/` });
  });

  it('--log-level silent writes no log line; an unknown level is a usage error (exit 2)', async () => {
    const serve = await startServe(['--data', `${dir.path}/silent`, '--port', '0', '--log-level', 'silent']);
    await traffic(serve);
    expect(await serve.stop()).toBe(0);
    expect(logLines(serve)).toEqual([]);
    const wrong = await runTauon(['serve', '--data', `${dir.path}/wrong`, '--port', '0', '--log-level', 'loud']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--log-level must be one of fatal, error, warn, info, debug, trace, silent, not "loud"');
  });
});
