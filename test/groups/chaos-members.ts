import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MemberConfig } from './chaos-member.js';

const MEMBER = fileURLToPath(new URL('./chaos-member.ts', import.meta.url));

/** Times in ms since the epoch with fractions, as the members' logs write them. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

/** When a member process was stopped (SIGKILL, or SIGSTOP until SIGCONT): what its log cannot say. */
export interface Outage {
  readonly member: string;
  readonly pid: number;
  readonly signal: 'SIGKILL' | 'SIGSTOP';
  readonly at: number;
  /** SIGCONT, for a SIGSTOP. */
  resumedAt?: number;
}

/**
 * A member of a consumer group in a process of its own (chaos-member.ts), started again with the
 * same config (its member id and its log) after it is killed. Stops are by its own pid only.
 */
export class MemberProcess {
  private child: ChildProcess | undefined;
  private output = '';
  /** Exits nobody asked for (the member failed). */
  readonly unexpectedExits: string[] = [];
  private expectingExit = false;

  constructor(
    readonly config: MemberConfig,
    private readonly outages: Outage[],
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process and waits (bounded) until it is in the group (its first `assigned`). */
  async start(timeoutMs = 30_000): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', MEMBER, JSON.stringify(this.config)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.expectingExit = false;
    this.output = '';
    child.stderr.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`member ${this.config.member} did not join within ${timeoutMs} ms: ${this.output}`)), timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => {
        this.output += chunk.toString();
        if (this.output.includes('ready\n')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (!this.expectingExit) this.unexpectedExits.push(`member ${this.config.member} exited (${code ?? signal}): ${this.output}`);
        reject(new Error(`member ${this.config.member} exited (${code ?? signal}) before joining: ${this.output}`));
      });
    });
    await ready;
  }

  /** SIGKILL: no goodbye to the server; waits until the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    this.expectingExit = true;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    this.outages.push({ member: this.config.member, pid: child.pid!, signal: 'SIGKILL', at: epochNow() });
    child.kill('SIGKILL');
    await exited;
    this.child = undefined;
  }

  /** SIGSTOP: the process is frozen, its socket open, until {@link resume}. */
  pause(): void {
    this.outages.push({ member: this.config.member, pid: this.child!.pid!, signal: 'SIGSTOP', at: epochNow() });
    this.child!.kill('SIGSTOP');
  }

  resume(): void {
    const outage = this.outages.findLast((o) => o.pid === this.child!.pid && o.signal === 'SIGSTOP');
    this.child!.kill('SIGCONT');
    if (outage !== undefined) outage.resumedAt = epochNow();
  }

  /** SIGTERM: the member leaves cleanly; waits (bounded) for its exit, then kills it. */
  async stop(graceMs = 5_000): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    this.expectingExit = true;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    this.child = undefined;
  }
}
