import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SERVER = fileURLToPath(new URL('../integration/unread-socket-server.ts', import.meta.url));

/** What the server process says of itself (see test/integration/unread-socket-server.ts). */
export interface ServerStats {
  /** VmRSS, bytes. */
  readonly rss: number;
  /** RssAnon, bytes: the resident memory without mapped files (lmdb's pages). */
  readonly rssAnon: number;
  readonly heapUsed: number;
  /** The unsent bytes of each open connection. */
  readonly buffered: readonly number[];
}

/**
 * A reference server in a process of its own, on an lmdb store filled with `events` events of
 * about 1 KB in the stream `load`, whose memory the test can ask for.
 */
export class UnreadServerProcess {
  private readonly waiting: ((stats: ServerStats) => void)[] = [];
  private readonly lines: Interface;

  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    /** The ws URL, or the AMQP service name. */
    readonly address: string,
  ) {
    this.lines = createInterface({ input: child.stdout });
    this.lines.on('line', (line) => {
      if (line.startsWith('stats ')) this.waiting.shift()?.(JSON.parse(line.slice(6)) as ServerStats);
    });
  }

  /** Starts it on ws, or on the AMQP broker `amqpUrl`, and waits until it serves. */
  static start(dir: string, events: number, amqpUrl?: string): Promise<UnreadServerProcess> {
    const env = amqpUrl === undefined ? process.env : { ...process.env, TAUON_AMQP_URL: amqpUrl };
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER, dir, String(events)], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the server did not start within 60 s: ${output}`));
      }, 60_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the server exited with ${code}: ${output}`));
      });
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        const match = /listening (\S+)/.exec(output);
        if (match === null) return;
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(new UnreadServerProcess(child, match[1]!));
      };
      child.stdout.on('data', onData);
    });
  }

  stats(): Promise<ServerStats> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write('stats\n');
    });
  }

  /** Ends it (closing its stdin), killing it if it has not exited within 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  }
}

export const megabytes = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
