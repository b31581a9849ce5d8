import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import type { StoredEvent } from '../../protocol/frames.js';
import { wsTransport } from '../../transports/ws/index.js';
import { runTauon, startServe, type ServeProcess } from '../support/cli-process.js';
import { tempDir } from '../support/temp-dir.js';
import { runOnTerminal, terminalAvailable } from './terminal-run.js';

/** The JSON lines of a command's stdout as stored events. */
function eventsOf(stdout: string): StoredEvent[] {
  return stdout.trim() === '' ? [] : stdout.trim().split('\n').map((line) => JSON.parse(line) as StoredEvent);
}

describe('tauon read, surface, info and invalidate', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let serve: ServeProcess;
  /** The events of stream "cart", as the server stored them. */
  let cart: StoredEvent[];

  beforeAll(async () => {
    dir = await tempDir('cli-read');
    serve = await startServe(['--data', dir.path, '--port', '0']);
    const client = await connect(wsTransport(serve.url));
    try {
      await client.emit('cart', { type: 'Added', key: 'apple', data: { qty: 1 } });
      await client.emit('cart', { type: 'Added', key: 'pear', data: { qty: 2 } });
      await client.emit('other', { type: 'Elsewhere' });
      await client.emit('cart', [
        { type: 'Removed', key: 'apple', id: 'remove-apple' },
        { type: 'Noted', data: 'no key' },
      ]);
      await client.emit('cart', { type: 'Added', key: 'plum', data: { qty: 3 }, meta: { by: 'ann' } });
      cart = (await client.read('cart', { limit: 100 })).events;
    } finally {
      await client.close();
    }
  }, 60_000);
  afterAll(async () => {
    await serve?.stop();
    await dir?.remove();
  });

  it('reads pages forward, says where the next starts on stderr, and that the last page is the end', async () => {
    const first = await runTauon(['read', '--url', serve.url, 'cart', '--limit', '2']);
    expect(first.code).toBe(0);
    expect(eventsOf(first.stdout)).toEqual(cart.slice(0, 2));
    expect(first.stderr).toBe('next: --from after:2\n');
    const rest = await runTauon(['read', '--url', serve.url, 'cart', '--from', 'after:2']);
    expect(eventsOf(rest.stdout)).toEqual(cart.slice(2));
    expect(rest.stderr).toBe('next: none (the end)\n');
  });

  it('reads backward from the end or before a seq, newest first', async () => {
    const newest = await runTauon(['read', '--url', serve.url, 'cart', '--backward', '--limit', '2']);
    expect(eventsOf(newest.stdout).map((event) => event.seq)).toEqual([5, 4]);
    expect(newest.stderr).toBe('next: --from before:4\n');
    const older = await runTauon(['read', '--url', serve.url, 'cart', '--backward', '--from', 'before:4']);
    expect(eventsOf(older.stdout).map((event) => event.seq)).toEqual([3, 2, 1]);
    expect(older.stderr).toBe('next: none (the end)\n');
  });

  it('starts at a seq, after an event id, at a time, and filters by type and key', async () => {
    const at = await runTauon(['read', '--url', serve.url, 'cart', '--from', '4']);
    expect(eventsOf(at.stdout).map((event) => event.seq)).toEqual([4, 5]);
    const afterEvent = await runTauon(['read', '--url', serve.url, 'cart', '--from', 'event:remove-apple']);
    expect(eventsOf(afterEvent.stdout).map((event) => event.seq)).toEqual([4, 5]);
    const third = cart[2]!;
    const byTime = await runTauon(['read', '--url', serve.url, 'cart', '--from', `time:${new Date(third.recorded).toISOString()}`]);
    expect(eventsOf(byTime.stdout)[0]!.recorded).toBeGreaterThanOrEqual(third.recorded);
    expect(eventsOf(byTime.stdout).at(-1)!.seq).toBe(5);
    const byMs = await runTauon(['read', '--url', serve.url, 'cart', '--from', `time:${third.recorded}`]);
    expect(byMs.stdout).toBe(byTime.stdout);
    const added = await runTauon(['read', '--url', serve.url, 'cart', '--types', 'Added', '--keys', 'apple,plum']);
    expect(eventsOf(added.stdout).map((event) => event.key)).toEqual(['apple', 'plum']);
    const tailed = await runTauon(['tail', '--url', serve.url, 'cart', '--mode', 'cold', '--from', 'event:remove-apple']);
    expect(eventsOf(tailed.stdout).map((event) => event.seq), 'tail takes the same start positions').toEqual([4, 5]);
    const hot = await runTauon(['tail', '--url', serve.url, 'cart', '--mode', 'hot', '--from', '3']);
    expect(hot.code).toBe(2);
  });

  it('reads a pattern and $all by store-wide position', async () => {
    const all = await runTauon(['read', '--url', serve.url, '$all', '--limit', '3']);
    const events = eventsOf(all.stdout);
    expect(events.map((event) => event.stream)).toEqual(['cart', 'cart', 'other']);
    expect(all.stderr).toBe(`next: --from after:${events[2]!.pos}\n`);
    const pattern = await runTauon(['read', '--url', serve.url, 'oth*']);
    expect(eventsOf(pattern.stdout).map((event) => event.type)).toEqual(['Elsewhere']);
  });

  it('surfaces the newest event of each key', async () => {
    const surfaced = await runTauon(['surface', '--url', serve.url, 'cart']);
    expect(surfaced.code).toBe(0);
    expect(eventsOf(surfaced.stdout).map((event) => `${event.key}@${event.seq}`)).toEqual(['pear@2', 'apple@3', 'plum@5']);
  });

  it('prints the server info as one JSON object, its head the newest position', async () => {
    const printed = await runTauon(['info', '--url', serve.url]);
    expect(printed.code).toBe(0);
    const answer = JSON.parse(printed.stdout) as { head: number; stores: string[]; limits: { maxReadLimit: number } };
    expect(answer.head).toBe(cart.at(-1)!.pos);
    expect(answer.stores).toEqual(['lmdb']);
    expect(answer.limits.maxReadLimit).toBeGreaterThan(0);
  });

  it('invalidates a transaction, which readers then see; an unknown one is not-found (exit 1)', async () => {
    const done = await runTauon(['invalidate', '--url', serve.url, 'cart', '3', '--reason', 'returned']);
    expect(done.stderr).toBe('');
    expect(JSON.parse(done.stdout)).toMatchObject({ stream: 'cart', invalidated: 3, seq: 6, tx: 5 });
    const newest = await runTauon(['read', '--url', serve.url, 'cart', '--backward', '--limit', '1']);
    expect(eventsOf(newest.stdout)[0]).toMatchObject({ seq: 6, type: '$invalidated', data: { tx: 3, reason: 'returned' } });
    const unknown = await runTauon(['invalidate', '--url', serve.url, 'cart', '99']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('tauon invalidate: not-found');
  });

  it('exits 2 with the usage for a bad --from, --limit or TX, and 1 for a selector the server refuses', async () => {
    for (const args of [
      ['read', 'cart', '--from', 'later'],
      ['read', 'cart', '--from', 'after:x'],
      ['read', 'cart', '--from', 'time:yesterday'],
      ['read', 'cart', '--limit', '0'],
      ['read'],
      ['surface'],
      ['invalidate', 'cart', 'two'],
      ['info', 'extra'],
    ]) {
      const wrong = await runTauon([...args, '--url', serve.url]);
      expect(wrong.code, args.join(' ')).toBe(2);
      expect(wrong.stderr, args.join(' ')).toContain(`tauon ${args[0]}: `);
      expect(wrong.stdout, args.join(' ')).toBe('');
    }
    const forward = await runTauon(['read', '--url', serve.url, 'cart', '--from', 'before:3']);
    expect(forward.code).toBe(1);
    expect(forward.stderr).toContain('tauon read: bad-frame');
    const pattern = await runTauon(['surface', '--url', serve.url, 'cart*']);
    expect(pattern.code).toBe(1);
    expect(pattern.stderr).toContain('tauon surface: bad-frame');
  });

  it.skipIf(!terminalAvailable())('on a terminal: one aligned line per event, then the next position', async () => {
    const { code, shown } = await runOnTerminal(['read', '--url', serve.url, 'cart', '--limit', '3']);
    expect(code).toBe(0);
    const lines = shown.split('\r\n').filter((line) => line !== '');
    expect(lines[0]).toMatch(/^POS +STREAM +SEQ +TX +RECORDED +TYPE +KEY +DATA$/);
    expect(lines.slice(1, 4).map((line) => line.split(/ {2,}/).slice(1, 3))).toEqual([
      ['cart', '1'],
      ['cart', '2'],
      ['cart', '3'],
    ]);
    // Aligned: every row's TYPE starts where the header's does.
    const typeColumn = lines[0]!.indexOf('TYPE');
    expect(lines.slice(1, 4).map((line) => line.slice(typeColumn).split(' ')[0])).toEqual(['Added', 'Added', 'Removed']);
    expect(lines[3]).toContain(' apple ');
    expect(lines[4]).toBe('next: --from after:3');
    const json = await runOnTerminal(['read', '--url', serve.url, 'cart', '--limit', '1', '--json']);
    expect(JSON.parse(json.shown.split('\r\n')[0]!)).toEqual(cart[0]);
    const info = await runOnTerminal(['info', '--url', serve.url]);
    expect(info.shown).toMatch(/^server +\S+\r\nstore +\S+ \(lmdb\)\r\nhead +\d+\r\n/);
  });
});

describe('tauon COMMAND --help', () => {
  const commands = ['serve', 'emit', 'tail', 'streams', 'read', 'surface', 'info', 'invalidate', 'export', 'import', 'groups', 'projections', 'discover', 'conformance'];

  it('says each command’s usage, flags and an example, exit 0 (also as tauon help COMMAND); the usage names them all', async () => {
    const usage = await runTauon(['--help']);
    expect(usage.code).toBe(0);
    for (const command of commands) {
      expect(usage.stdout, command).toContain(`tauon ${command} `);
      const help = await runTauon([command, '--help']);
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toMatch(new RegExp(`^usage: tauon ${command} `));
      expect(help.stdout, command).toContain('Example');
      expect(help.stdout, command).toContain(`  tauon ${command}`);
      // Every flag of the usage line is explained below it.
      const usageLine = help.stdout.split('\n\n')[0]!;
      for (const flag of new Set(usageLine.match(/--[a-z][a-z-]*/g) ?? [])) {
        expect(help.stdout.slice(usageLine.length), `${command} ${flag}`).toContain(flag);
      }
    }
    const viaHelp = await runTauon(['help', 'import']);
    expect(viaHelp.stdout).toBe((await runTauon(['import', '--help'])).stdout);
    const inherited = await runTauon(['constructor']);
    expect(inherited.code, 'a name every object has is no command').toBe(2);
    expect(inherited.stderr).toContain('unknown command "constructor"');
  }, 120_000);
});
