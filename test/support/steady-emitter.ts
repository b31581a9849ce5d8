import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const EMITTER = fileURLToPath(new URL('./steady-emitter-process.ts', import.meta.url));

/** One emit and when its ack came, in ms since the epoch. */
interface EmitSample {
  readonly sent: number;
  readonly acked: number;
}

/** What the emits around a piece of work saw. */
export interface EmitsDuring {
  /** How long the work took, in ms. */
  readonly workMs: number;
  /** Emits whose wait overlapped the work. */
  readonly count: number;
  /** The longest emit-to-ack among them, in ms (0 when none). */
  readonly worstMs: number;
}

const now = () => performance.timeOrigin + performance.now();

/**
 * Another client's steady writes beside a piece of work: a process of its own (see
 * steady-emitter-process.ts) emitting one event every `intervalMs` to one stream, each timed
 * from the call to its ack, to tell how long the server kept it waiting.
 */
export class SteadyEmitter {
  private readonly samples: EmitSample[] = [];
  private failure: Error | undefined;
  private output = '';

  private constructor(private readonly child: ChildProcess) {}

  /** Starts the emitting process against the server at `url` and waits until it emits (20 s at most). */
  static async start(url: string, stream: string, intervalMs = 10): Promise<SteadyEmitter> {
    const child = spawn(process.execPath, ['--import', 'tsx', EMITTER, url, stream, String(intervalMs)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const emitter = new SteadyEmitter(child);
    let pending = '';
    let ready: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (ready = resolve));
    child.stderr.on('data', (chunk: Buffer) => (emitter.output += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const [kind, first, second] = line.split(' ');
        if (kind === 'ready') ready();
        else if (kind === 'ack') emitter.samples.push({ sent: Number(first), acked: Number(second) });
        else emitter.failure ??= new Error(`the emitting client: ${line}`);
      }
    });
    let timer: NodeJS.Timeout | undefined;
    const failed = new Promise<never>((_, reject) => {
      child.on('exit', (code) => reject(new Error(`the emitting client exited with ${code}: ${emitter.output}`)));
      timer = setTimeout(() => reject(new Error(`the emitting client did not start: ${emitter.output}`)), 20_000);
    });
    try {
      await Promise.race([started, failed]);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    } finally {
      clearTimeout(timer);
    }
    failed.catch(() => undefined);
    return emitter;
  }

  /**
   * Runs `work` and answers how long it took and what the emits waiting meanwhile saw, once an
   * emit sent after it is acked (acks come in order: every earlier one is in; 10 s at most).
   */
  async during(work: () => Promise<unknown>): Promise<EmitsDuring> {
    const start = now();
    await work();
    const end = now();
    for (let waited = 0; !this.samples.some((sample) => sample.sent > end) && waited < 10_000; waited += 5) {
      if (this.failure !== undefined) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (this.failure !== undefined) throw this.failure;
    const overlapping = this.samples.filter((sample) => sample.acked >= start && sample.sent <= end);
    return {
      workMs: end - start,
      count: overlapping.length,
      worstMs: Math.max(0, ...overlapping.map((sample) => sample.acked - sample.sent)),
    };
  }

  /** Ends the emitting process (closing its stdin; killed after 5 s). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    this.child.stdin!.end();
    await exited;
    clearTimeout(timer);
  }
}
