import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTauon, startServe, type ServeProcess } from '../support/cli-process.js';
import { tempDir } from '../support/temp-dir.js';


describe('the tauon command line', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let serve: ServeProcess;
  beforeAll(async () => {
    dir = await tempDir('cli');
    serve = await startServe(['--data', dir.path, '--port', '0']);
  }, 60_000);
  afterAll(async () => {
    await serve?.stop();
    await dir?.remove();
  });

  it('emits and prints the ack as one JSON line', async () => {
    const first = await runTauon(['emit', '--url', serve.url, 'cli-orders', 'Placed', '{"total":42}']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ stream: 'cli-orders', seq: 1, tx: 1, duplicate: false });
    const second = await runTauon(['emit', '--url', serve.url, '--key', 'k', '--id', 'fixed', 'cli-orders', 'Paid']);
    expect(JSON.parse(second.stdout)).toMatchObject({ seq: 2, duplicate: false });
    const again = await runTauon(['emit', '--url', serve.url, '--id', 'fixed', 'cli-orders', 'Paid']);
    expect(JSON.parse(again.stdout)).toMatchObject({ seq: 2, duplicate: true });
  });

  it('tails a stream in cold mode, one JSON line per event, and exits at the end', async () => {
    await runTauon(['emit', '--url', serve.url, 'cli-tail', 'A', '1']);
    await runTauon(['emit', '--url', serve.url, 'cli-tail', 'B', '{"x":[1,2]}']);
    await runTauon(['emit', '--url', serve.url, 'cli-tail', 'C']);
    const all = await runTauon(['tail', '--url', serve.url, 'cli-tail', '--mode', 'cold']);
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => [line['stream'], line['seq'], line['type'], line['data']])).toEqual([
      ['cli-tail', 1, 'A', 1],
      ['cli-tail', 2, 'B', { x: [1, 2] }],
      ['cli-tail', 3, 'C', undefined],
    ]);
    const fromTwo = await runTauon(['tail', '--url', serve.url, 'cli-tail', '--from', '2', '--mode', 'cold']);
    expect(fromTwo.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { seq: number }).seq)).toEqual([2, 3]);
  });

  it('follows a stream live until interrupted', async () => {
    const { spawn } = await import('node:child_process');
    const { TAUON_BIN } = await import('../support/cli-process.js');
    const child = spawn(process.execPath, [TAUON_BIN, 'tail', '--url', serve.url, 'cli-live', '--mode', 'hot-cold']);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await runTauon(['emit', '--url', serve.url, 'cli-live', 'Hello']);
    const deadline = Date.now() + 10_000;
    while (!output.includes('"Hello"') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(output).toContain('"type":"Hello"');
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('lists streams as JSON lines', async () => {
    await runTauon(['emit', '--url', serve.url, 'cli-list.a', 'X']);
    const listed = await runTauon(['streams', '--url', serve.url, '--prefix', 'cli-list.']);
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ stream: 'cli-list.a', head: 1, count: 1 }),
    ]);
  });

  it('exits 2 with the usage on a wrong command line, 1 when the server cannot be reached', async () => {
    const wrong = await runTauon(['emit', '--url', serve.url, 'only-a-stream']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('usage:');
    for (const [args, usage] of [
      [['--help'], 'tauon serve [--data DIR | --store URL | --config FILE]'],
      [['serve', '--help'], 'usage: tauon serve [--data DIR | --store URL | --config FILE]'],
      [['tail', '-h'], 'usage: tauon tail [--url URL]'],
    ] as const) {
      const help = await runTauon(args);
      expect(help.code, `tauon ${args.join(' ')}`).toBe(0);
      expect(help.stdout, `tauon ${args.join(' ')}`).toContain(usage);
    }
    const unknown = await runTauon(['frobnicate']);
    expect(unknown.code).toBe(2);
    const badJson = await runTauon(['emit', '--url', serve.url, 's', 'T', '{not json']);
    expect(badJson.code).toBe(2);
    const unreachable = await runTauon(['emit', '--url', 'ws://127.0.0.1:1', 's', 'T']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('closed');
  });

  it('keeps every acked event across a stop and a restart on the same data directory', async () => {
    const acks: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const result = await runTauon(['emit', '--url', serve.url, 'cli-durable', 'Kept', String(i)]);
      acks.push((JSON.parse(result.stdout) as { seq: number }).seq);
    }
    expect(await serve.stop()).toBe(0);
    serve = await startServe(['--data', dir.path, '--port', '0']);
    const tail = await runTauon(['tail', '--url', serve.url, 'cli-durable', '--mode', 'cold']);
    expect(tail.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { data: number }).data)).toEqual([0, 1, 2, 3, 4]);
    expect(acks).toEqual([1, 2, 3, 4, 5]);
  });

  it('serves the HTTP API on the same port', async () => {
    const posted = await fetch(`${serve.httpUrl}/streams/cli-http/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ type: 'Posted', data: { n: 1 } }, { type: 'Posted', data: { n: 2 } }]),
    });
    expect(posted.status).toBe(201);
    expect(await posted.json()).toMatchObject({ type: 'appended', stream: 'cli-http', seqs: [1, 2] });
    const page = await fetch(`${serve.httpUrl}/streams/cli-http/events?from=2`);
    expect(((await page.json()) as { events: { seq: number }[] }).events.map((event) => event.seq)).toEqual([2]);
    const conflict = await fetch(`${serve.httpUrl}/streams/cli-http/events?expected=none`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'Posted' }),
    });
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ error: { code: 'wrong-expected-version', details: { actual: 2 } } });
    const bad = await fetch(`${serve.httpUrl}/streams/cli-http/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{oops',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('bad-frame');
    // What any web page may send without asking first (fetch's default for a string body).
    const plain = await fetch(`${serve.httpUrl}/streams/cli-http/events`, { method: 'POST', body: JSON.stringify({ type: 'Forged' }) });
    expect(plain.status).toBe(415);
    const after = await fetch(`${serve.httpUrl}/streams/cli-http/events?from=start`);
    expect(((await after.json()) as { events: unknown[] }).events, 'nothing stored').toHaveLength(2);
    const health = await fetch(`${serve.httpUrl}/health`);
    expect(await health.json()).toEqual({ ok: true });
  });
});
