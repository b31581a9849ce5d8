// The reference servers of a chaos run: `tauon serve` processes, killed with SIGKILL and started
// again on the same port and the same store (an lmdb data directory, a PostgreSQL schema, a
// JetStream stream), so that members and clients reconnect to the address they know.
import { startServe, type ServeProcess } from '../support/cli-process.js';

/** One server of a chaos run, by its address, across restarts. */
export class ChaosServer {
  private process: ServeProcess;
  restarts = 0;

  private constructor(
    private readonly storeArgs: readonly string[],
    first: ServeProcess,
    readonly port: number,
  ) {
    this.process = first;
  }

  /** Starts `tauon serve` on a free port over the store that `storeArgs` names (`--data DIR` or `--store URL`). */
  static async start(storeArgs: readonly string[]): Promise<ChaosServer> {
    const first = await startServe([...storeArgs, '--port', '0'], 60_000);
    return new ChaosServer(storeArgs, first, Number(new URL(first.url).port));
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** SIGKILL (no goodbye to anyone, nothing flushed), then the same server again on the same port and store. */
  async crashAndRestart(downMs: number): Promise<void> {
    await this.process.stop('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, downMs));
    this.process = await startServe([...this.storeArgs, '--port', String(this.port)], 60_000);
    this.restarts += 1;
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }
}
