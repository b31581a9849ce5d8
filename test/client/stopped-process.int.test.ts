import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TauonServer } from '../../server-reference/server.js';
import { MemoryStore } from '../../server-reference/stores/memory/memory-store.js';
import type { Connection, ServerTransport } from '../../transports/transport.js';
import { listenWs, type WsListener } from '../../transports/ws/index.js';

/*
 * A client process stopped (SIGSTOP) past the server's heartbeat timeout and continued
 * (SIGCONT): the server has closed its connection with 4000, and the client's own keep-alive is
 * overdue, both at once. The client must reconnect, resume where it was, and end with every event
 * once, in order, without crashing its process (issue 15). The client is
 * test/client/stopped-consumer.ts, run with tsx.
 */

const HEARTBEAT_MS = 300;
const REPLAYED = 200_000;
const FOLLOWED = 20_000;
const COMMITTED_WHILE_STOPPED = 3000;
const CONSUMER = fileURLToPath(new URL('./stopped-consumer.ts', import.meta.url));

/**
 * Wraps a server transport to see each connection the server accepts and each close the server
 * starts (at the call: a stopped peer cannot finish the close handshake, so `closed` would settle
 * only at the transport's close timeout).
 */
class WatchedTransport implements ServerTransport {
  accepted = 0;
  /** The codes the server closed connections with, in order. */
  readonly closeCodes: number[] = [];
  /** Runs once, synchronously, when the server accepts its next connection. */
  onNextAccept: (() => void) | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly inner: ServerTransport) {}

  listen(onConnection: (connection: Connection) => void): Promise<void> {
    return this.inner.listen((connection) => {
      this.accepted += 1;
      const hook = this.onNextAccept;
      this.onNextAccept = undefined;
      hook?.();
      const close = connection.close.bind(connection);
      connection.close = (code, reason) => {
        this.closeCodes.push(code ?? 1000);
        this.changed();
        close(code, reason);
      };
      onConnection(connection);
      this.changed();
    });
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** How many connections the server closed for a silent peer (code 4000). */
  get heartbeatCloses(): number {
    return this.closeCodes.filter((code) => code === 4000).length;
  }

  /** Resolves once `condition` holds, checked on every accept and close; rejects after `timeoutMs`. */
  until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  private changed(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** The consumer process and what it printed. */
interface Consumer {
  readonly child: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first line (from now on or already printed) that matches. */
  line(pattern: RegExp, what: string, timeoutMs?: number): Promise<string>;
  readonly exited: Promise<number | null>;
}

function startConsumer(url: string, stream: string, total: number, mode: 'replay' | 'iterate' | 'follow'): Consumer {
  const child = spawn(process.execPath, ['--import', 'tsx', CONSUMER, url, stream, String(total), mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const listener of [...listeners]) listener(line);
  });
  child.stderr.on('data', (chunk: Buffer) => lines.push(`stderr: ${chunk.toString()}`));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Never left behind: a consumer still running when the test ends is killed.
  const killer = setTimeout(() => child.kill('SIGKILL'), 28_000);
  void exited.then(() => clearTimeout(killer));
  return {
    child,
    lines,
    exited,
    line(pattern, what, timeoutMs = 20_000) {
      const seen = lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`timed out waiting for ${what}; the consumer printed:\n${lines.slice(-20).join('\n')}`));
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

/** Stops the consumer, waits until the server has closed one more connection with 4000, continues it. */
async function stopPastTheHeartbeat(consumer: Consumer, watched: WatchedTransport): Promise<void> {
  const closesBefore = watched.heartbeatCloses;
  consumer.child.kill('SIGSTOP');
  try {
    await watched.until(() => watched.heartbeatCloses > closesBefore, 'the server to close the stopped client with 4000');
    // A little longer, so that the client's own keep-alive is overdue too when it wakes up.
    await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_MS));
  } finally {
    consumer.child.kill('SIGCONT');
  }
}

/** What a consumer that ended well printed: no crash, no disorder, every event. */
async function expectClean(consumer: Consumer, total: number): Promise<void> {
  const code = await consumer.exited;
  const output = consumer.lines.filter((line) => !line.startsWith('progress')).join('\n');
  expect(consumer.lines.filter((line) => /^(CRASH|ORDER)/.test(line)), output).toEqual([]);
  expect(code, output).toBe(0);
  expect(consumer.lines.at(-1), output).toBe(`done ${total}`);
}

describe('a client process stopped past the heartbeat timeout and continued', () => {
  let store: MemoryStore;
  let server: TauonServer;
  let ws: WsListener;
  let watched: WatchedTransport;

  beforeAll(async () => {
    store = new MemoryStore();
    server = new TauonServer({ store, heartbeatMs: HEARTBEAT_MS });
    ws = await listenWs({ host: '127.0.0.1', port: 0 });
    watched = new WatchedTransport(ws.transport);
    await server.listen(watched);
    const data = { payload: 'p'.repeat(100) };
    for (let start = 0; start < REPLAYED; start += 2000) {
      const events = Array.from({ length: 2000 }, (_, i) => ({ id: `big-${start + i}`, type: 'Big', data }));
      await store.append([{ stream: 'big', events, expected: 'any', dedupe: false }]);
    }
    const events = Array.from({ length: FOLLOWED }, (_, i) => ({ id: `small-${i}`, type: 'Small', data }));
    await store.append([{ stream: 'small', events, expected: 'any', dedupe: false }]);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await ws?.close();
    await store?.close();
  });

  it('in the middle of a 200,000-event replay: it reconnects, resumes and completes with every event once, in order', async () => {
    const consumer = startConsumer(ws.url, 'big', REPLAYED, 'replay');
    await consumer.line(/^progress (2\d{4}|[3-9]\d{4}|1\d{5})$/, 'the replay to pass 20,000 events');
    const accepted = watched.accepted;
    await stopPastTheHeartbeat(consumer, watched);
    await expectClean(consumer, REPLAYED);
    expect(watched.accepted, 'the client reconnected').toBeGreaterThan(accepted);
    expect(consumer.lines.some((line) => line.startsWith('status reconnecting')), consumer.lines.join('\n')).toBe(true);
  }, 30_000);

  it('through the async iterator, stopped twice: mid-replay and again during the handshake of its reconnect', async () => {
    const consumer = startConsumer(ws.url, 'big', REPLAYED, 'iterate');
    await consumer.line(/^progress (2\d{4}|[3-9]\d{4}|1\d{5})$/, 'the replay to pass 20,000 events');
    const accepted = watched.accepted;
    // Stopped again the moment the server accepts its new connection: before or just after its
    // hello, so that the server closes that connection with 4000 during the handshake.
    const closes = watched.heartbeatCloses;
    watched.onNextAccept = () => consumer.child.kill('SIGSTOP');
    await stopPastTheHeartbeat(consumer, watched);
    await watched.until(() => watched.accepted > accepted, 'the client to reconnect');
    try {
      await watched.until(() => watched.heartbeatCloses > closes + 1, 'the server to close the half-open session with 4000');
    } finally {
      consumer.child.kill('SIGCONT');
    }
    await expectClean(consumer, REPLAYED);
    expect(watched.accepted, 'the client dialed again after its handshake was cut').toBeGreaterThan(accepted + 1);
  }, 30_000);

  it('while following live with its own emits in flight: every emit acked once, every event seen once', async () => {
    const consumer = startConsumer(ws.url, 'small', FOLLOWED + COMMITTED_WHILE_STOPPED, 'follow');
    await consumer.line(new RegExp(`^caught-up ${FOLLOWED}$`), 'the consumer to catch up');
    await consumer.line(/^emitted [1-9]\d+$/, 'the consumer to have emits acked');
    const stopped = stopPastTheHeartbeat(consumer, watched);
    // Committed while it is stopped: it sees them after its reconnect, from where it was.
    const data = { payload: 'q'.repeat(100) };
    for (let n = 0; n < COMMITTED_WHILE_STOPPED; n += 100) {
      const events = Array.from({ length: 100 }, (_, i) => ({ id: `live-${n + i}`, type: 'Live', data }));
      await store.append([{ stream: 'small', events, expected: 'any', dedupe: false }]);
    }
    await stopped;
    await expectClean(consumer, FOLLOWED + COMMITTED_WHILE_STOPPED);
    // Its emits went on across the stop: some were acknowledged only on the new connection.
    const resumed = consumer.lines.findIndex((line) => line.startsWith('status reconnecting'));
    expect(resumed, consumer.lines.join('\n')).toBeGreaterThan(0);
    expect(consumer.lines.slice(resumed).some((line) => /^emitted \d+$/.test(line)), consumer.lines.join('\n')).toBe(true);
  }, 30_000);
});
