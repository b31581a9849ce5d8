// What the figures read about a process from Linux's /proc: resident memory and CPU time.
import { readFile } from 'node:fs/promises';

/** A process's memory, in MiB. */
export interface ProcessMemory {
  /** The resident set, VmRSS: what the figures are judged by. */
  readonly resident: number;
  /**
   * Its anonymous part, RssAnon: the heap and buffers. The rest is mostly file pages mapped
   * resident, such as the lmdb store's memory map, which the kernel reclaims under pressure.
   */
  readonly anonymous: number;
}

/** The memory of process `pid` (from /proc/<pid>/status). */
export async function memoryMb(pid: number): Promise<ProcessMemory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (match === null) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(match[1]) / 1024;
  };
  return { resident: field('VmRSS'), anonymous: field('RssAnon') };
}

/** Clock ticks a second, as the kernel counts CPU time in /proc/<pid>/stat (USER_HZ). */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) process `pid` has used so far, in seconds. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Samples `pid`'s CPU time around a stretch of work: the cores it kept busy on average. */
export class CpuMeter {
  private constructor(
    private readonly pid: number,
    private readonly startCpu: number,
    private readonly startWall: number,
  ) {}

  static async start(pid: number): Promise<CpuMeter> {
    return new CpuMeter(pid, await cpuSeconds(pid), performance.now());
  }

  /** Average cores used since start (1 = one core fully busy). */
  async cores(): Promise<number> {
    const cpu = (await cpuSeconds(this.pid)) - this.startCpu;
    return cpu / ((performance.now() - this.startWall) / 1000);
  }
}
