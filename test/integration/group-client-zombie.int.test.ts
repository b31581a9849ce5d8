import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../client/index.js';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import { listenWs, wsTransport, type WsListener } from '../../transports/ws/index.js';

/*
 * A zombie member: a group member process stopped (SIGSTOP) past its lease while its connection
 * stays open (the server's heartbeat allows far longer), then continued (SIGCONT). Meanwhile the
 * group gave its partition to another member. Once awake it must start no handler of that
 * partition again (its client knows its lease is not sure until a newer pong, and the server's
 * `assigned` comes before that pong); what it acknowledges of it is refused or dropped.
 * The member is test/integration/group-client-zombie-member.ts, run with tsx.
 */

const LEASE_MS = 1000;
const MEMBER = fileURLToPath(new URL('./group-client-zombie-member.ts', import.meta.url));

interface Member {
  readonly child: ChildProcess;
  readonly lines: string[];
  line(pattern: RegExp, what: string, timeoutMs?: number): Promise<string>;
}

function startMember(url: string, group: string, stream: string): Member {
  const child = spawn(process.execPath, ['--import', 'tsx', MEMBER, url, group, stream, String(LEASE_MS)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const listener of [...listeners]) listener(line);
  });
  child.stderr.on('data', (chunk: Buffer) => lines.push(`stderr: ${chunk.toString()}`));
  const killer = setTimeout(() => child.kill('SIGKILL'), 28_000);
  child.on('exit', () => clearTimeout(killer));
  return {
    child,
    lines,
    line(pattern, what, timeoutMs = 10_000) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`timed out waiting for ${what}; the member printed:\n${lines.slice(-20).join('\n')}`));
        }, timeoutMs);
        const listener = (line: string): void => {
          if (!pattern.test(line)) return;
          clearTimeout(timer);
          listeners.delete(listener);
          resolve(line);
        };
        listeners.add(listener);
      });
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('a group member stopped past its lease and continued (a zombie)', () => {
  it('starts nothing more of the partition it lost once awake, while the other member goes on with it', async () => {
    const store = new MemoryStore();
    const server = new TauonServer({ store });
    const ws: WsListener = await listenWs({ host: '127.0.0.1', port: 0 });
    await server.listen(ws.transport);
    cleanups.push(() => store.close());
    cleanups.push(async () => {
      await server.close();
      await ws.close();
    });

    const zombie = startMember(ws.url, 'zombie', 'jobs');
    cleanups.push(() => {
      zombie.child.kill('SIGCONT');
      zombie.child.kill('SIGKILL');
    });
    await zombie.line(/^assigned \[\[0,\d+\]\]$/, 'the zombie to hold the partition');

    const clients: Client[] = [];
    cleanups.push(async () => {
      for (const client of clients) await client.close();
    });
    const producer = await connect(wsTransport(ws.url));
    const other = await connect(wsTransport(ws.url), { reconnect: { initialDelayMs: 20, maxDelayMs: 200 } });
    clients.push(producer, other);
    const otherStarts: number[] = [];
    const otherRun = other
      .process('zombie', 'jobs', async (event) => {
        otherStarts.push(event.seq);
        await sleep(5);
      }, { leaseMs: LEASE_MS, member: 'other' })
      .subscribe();
    cleanups.push(() => otherRun.unsubscribe());

    // A steady producer, for the whole test.
    let emitting = true;
    let emitted = 0;
    const producing = (async () => {
      while (emitting && emitted < 2000) {
        await producer.emit('jobs', { type: 'job', key: `k${emitted % 5}` });
        emitted += 1;
        await sleep(15);
      }
    })();
    cleanups.push(async () => {
      emitting = false;
      await producing;
    });

    await zombie.line(/^done [5-9]\d*$|^done \d{2,}$/, 'the zombie to process a few events');
    zombie.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    let wokeAt: number;
    try {
      // The lease runs out; the server gives the partition to the other member, which goes on.
      await expect.poll(() => otherStarts.length, { timeout: 10_000 }).toBeGreaterThan(5);
      await sleep(Math.max(0, stoppedAt + 2 * LEASE_MS - Date.now()));
    } finally {
      // Everything it printed before it stopped has been read by now.
      wokeAt = zombie.lines.length;
      zombie.child.kill('SIGCONT');
    }
    await sleep(1500);
    emitting = false;
    await producing;

    const afterWake = zombie.lines.slice(wokeAt);
    const output = zombie.lines.join('\n');
    expect(zombie.lines.filter((line) => line.startsWith('CRASH') || line.startsWith('error')), output).toEqual([]);
    expect(afterWake.filter((line) => line.startsWith('start')), output).toEqual([]);
    // It learnt that it lost the partition (its lease, then the server's assigned); an ack of what it
    // was processing when stopped is refused (fenced) or dropped.
    expect(afterWake.some((line) => line === 'lease false' || line === 'assigned []'), output).toBe(true);
    expect(afterWake.filter((line) => line.startsWith('fenced')).every((line) => line.startsWith('fenced 0 ')), output).toBe(true);
    // The other member processed on: every event was started by one of the two.
    const zombieStarts = new Set(zombie.lines.filter((line) => line.startsWith('start')).map((line) => Number(line.split(' ')[1])));
    await expect.poll(() => new Set([...zombieStarts, ...otherStarts]).size, { timeout: 5000 }).toBe(emitted);
  }, 30_000);
});
