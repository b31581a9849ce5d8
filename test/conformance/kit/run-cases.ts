import { parseServerFrame } from '../../../protocol/validate.js';
import { codecByName } from '../../../protocol/codec.js';
import type { WelcomeFrame } from '../../../protocol/frames.js';
import type { CaseNeed, ConformanceCase } from './case.js';
import { caseName, inSection } from './case.js';
import { KitContext } from './context.js';
import type { ServerUnderTest } from './server-under-test.js';

/** How one case ended. */
export interface CaseResult {
  readonly name: string;
  readonly section: string;
  readonly outcome: 'passed' | 'failed' | 'skipped';
  readonly ms: number;
  /** Why it failed, or what it needed when skipped. */
  readonly reason?: string;
}

/** Options of {@link runConformance}. */
export interface RunOptions {
  /** Runs only the cases of this section and those under it (`6.4` runs `6.4.4`). */
  readonly only?: string;
  /** Hears each result as soon as its case ended. */
  readonly onResult?: (result: CaseResult) => void;
}

/** Which needs of a case the server under test does not meet. */
export function unmetNeeds(testCase: ConformanceCase, server: ServerUnderTest): CaseNeed[] {
  return (testCase.needs ?? []).filter((need) => {
    switch (need) {
      case 'auth':
        return server.auth === undefined;
      case 'expiring-token':
        return server.auth?.expiring === undefined;
      case 'websocket':
        return server.webSocketUrl === undefined;
      case 'authenticates':
        return server.token === undefined;
    }
  });
}

/** The `welcome` of one handshake, which tells every case the server's limits and heartbeat. */
export async function readWelcome(server: ServerUnderTest): Promise<WelcomeFrame> {
  const connection = await server.connect();
  const codec = codecByName('msgpack');
  try {
    return await new Promise<WelcomeFrame>((resolve, reject) => {
      connection.onFrame((bytes) => {
        try {
          const frame = parseServerFrame(codec.decode(bytes));
          if (frame.type === 'welcome') resolve(frame);
          else reject(new Error(`the server answered hello with ${JSON.stringify(frame)}`));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      void connection.closed.then((info) => reject(new Error(`the server closed the connection (${info.code} ${info.reason})`)));
      connection.send(codec.encode({ type: 'hello', versions: [1], ...(server.token === undefined ? {} : { token: server.token }) }));
    });
  } finally {
    connection.close(1000, 'done');
  }
}

/** The time a case may take: its own bound, plus four heartbeat intervals for the cases that wait on them. */
export function caseTimeout(testCase: ConformanceCase, welcome: WelcomeFrame): number {
  return (testCase.timeoutMs ?? 10_000) + 4 * welcome.heartbeat;
}

/** Runs one case with a fresh context, bounded in time; throws what the case threw. */
export async function runCase(testCase: ConformanceCase, server: ServerUnderTest, welcome: WelcomeFrame, run?: string): Promise<void> {
  const kit = new KitContext(server, welcome, run);
  const bound = caseTimeout(testCase, welcome);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      testCase.run(kit),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the case did not end within ${bound} ms`)), bound);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    kit.dispose();
  }
}

/**
 * Runs the cases one after the other against a server, without a test framework (the
 * `tauon conformance` command runs it). A case that needs what the server does not offer is
 * skipped.
 */
export async function runConformance(
  cases: readonly ConformanceCase[],
  server: ServerUnderTest,
  options: RunOptions = {},
): Promise<CaseResult[]> {
  const welcome = await readWelcome(server);
  const results: CaseResult[] = [];
  for (const testCase of cases) {
    if (options.only !== undefined && !inSection(testCase, options.only)) continue;
    const name = caseName(testCase);
    const unmet = unmetNeeds(testCase, server);
    let result: CaseResult;
    if (unmet.length > 0) {
      result = { name, section: testCase.section, outcome: 'skipped', ms: 0, reason: `needs ${unmet.join(', ')}` };
    } else {
      const started = Date.now();
      try {
        await runCase(testCase, server, welcome);
        result = { name, section: testCase.section, outcome: 'passed', ms: Date.now() - started };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        result = { name, section: testCase.section, outcome: 'failed', ms: Date.now() - started, reason };
      }
    }
    results.push(result);
    options.onResult?.(result);
  }
  return results;
}
